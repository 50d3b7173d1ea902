// Recording: the trace's own copies of the files a program maps or executes (trace dir files/).
// System files are hard-linked when they live on the trace's file system (package managers replace
// them by rename, so the link keeps the old content); everything else is copied (reflink when possible).
// With `pack` (rewind record --pack) nothing is hard-linked to a file outside the trace: every copy is
// private, and copies with the same content are stored once (hard links among the trace's own copies).
// Copies are deduplicated by (device, inode, mtime, size). Each copy's size and SHA-256 go to
// files.index (src/trace/file-index.ts) before its FileRef is handed out; hashes of files already seen
// come from the user's hash cache, so recording libc again costs no read.
import { constants, copyFileSync, linkSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HashCache, identityOf } from '../trace/content-hash.js';
import type { FileRef } from '../trace/events.js';
import { appendIndexEntry } from '../trace/file-index.js';
import { UnsupportedError } from '../tracee/errors.js';

const SYSTEM_DIRS = ['/usr/', '/lib/', '/lib64/', '/bin/', '/sbin/', '/opt/'];

export interface FileStoreOptions {
  /** Never hard-link files from outside the trace (rewind record --pack). */
  pack?: boolean;
  /** Where hashes of files already seen are kept (default: the user's cache directory). */
  cache?: HashCache;
}

export class FileStore {
  private readonly byKey = new Map<string, FileRef>();
  /** With pack: the copy already holding each content hash. */
  private readonly byHash = new Map<string, string>();
  private count = 0;
  private readonly traceDir: string;
  private readonly cache: HashCache;
  private readonly pack: boolean;

  constructor(private readonly dir: string, opts: FileStoreOptions = {}) {
    this.traceDir = dirname(dir);
    this.cache = opts.cache ?? new HashCache();
    this.pack = opts.pack ?? false;
  }

  /**
   * Captures the file that `source` opens (a path, or a /proc link such as /proc/PID/fd/N or
   * /proc/PID/map_files/A-B, which work even for deleted files).
   */
  capture(source: string): FileRef {
    const st = statSync(source, { bigint: true });
    const shown = source.startsWith('/proc/') ? readlinkSync(source) : source;
    if (!st.isFile()) {
      if (shown === '/dev/zero') return { path: shown, copy: '', dev: st.dev, ino: st.ino, size: 0n, mtimeNs: 0n };
      throw new UnsupportedError(`mapping ${shown}, which is not a regular file`);
    }
    const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.size}`;
    const known = this.byKey.get(key);
    if (known) return known;
    const name = `${++this.count}-${basename(shown).replace(/[^\w.+-]/g, '_').slice(0, 64) || 'file'}`;
    const dst = join(this.dir, name);
    const sourceId = identityOf(st);
    let hash = this.cache.get(sourceId);
    const same = hash !== null && this.pack ? this.byHash.get(hash) : undefined;
    if (same !== undefined) linkSync(join(this.dir, same), dst); // the trace's own copy: private
    else if (this.pack || !this.tryLink(shown, st.dev, st.ino, dst)) copyFileSync(source, dst, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
    const copied = statSync(dst, { bigint: true });
    if (copied.size !== st.size) {
      rmSync(dst, { force: true });
      throw new UnsupportedError(`${shown} changed while rewind copied it`);
    }
    if (hash === null) {
      // Hash what the trace holds; the source had the same content when it was copied or linked.
      hash = this.cache.hashOf(dst, identityOf(copied)).hash;
      this.cache.put(sourceId, hash, shown);
    } else {
      this.cache.put(identityOf(copied), hash, dst);
    }
    if (this.pack) {
      const first = this.byHash.get(hash);
      if (first === undefined) this.byHash.set(hash, name);
      else if (first !== same) {
        // Same content as an earlier copy (found only by hashing this one): keep one.
        rmSync(dst);
        linkSync(join(this.dir, first), dst);
      }
    }
    appendIndexEntry(this.traceDir, { copy: name, path: shown, size: Number(st.size), sha256: hash });
    const ref: FileRef = { path: shown, copy: name, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
    this.byKey.set(key, ref);
    return ref;
  }

  private tryLink(path: string, dev: bigint, ino: bigint, dst: string): boolean {
    if (!SYSTEM_DIRS.some((d) => path.startsWith(d))) return false;
    try {
      const st = statSync(path, { bigint: true });
      if (st.dev !== dev || st.ino !== ino) return false;
      linkSync(path, dst);
      return true;
    } catch {
      return false;
    }
  }
}
