// Recording: the trace's own copies of the files a program maps or executes (trace dir files/).
// System files are hard-linked when they live on the trace's file system (package managers replace
// them by rename, so the link keeps the old content); everything else is copied (reflink when possible).
// With `pack` (rewind record --pack) nothing is hard-linked to a file outside the trace: every copy is
// private, and copies with the same content are stored once (hard links among the trace's own copies).
// Copies are deduplicated by (device, inode, mtime, size). Each copy's size and SHA-256 go to
// files.index (src/trace/file-index.ts) before its FileRef is handed out; hashes of files already seen
// come from the user's hash cache, so recording libc again costs no read.
// A copy holds only what can be read back: holes stay holes (src/trace/sparse.ts) and, for a mapping
// of a file with 16 MiB or more of data outside the mapped window, only the window's data is copied
// (a 100 GiB sparse file or memfd costs the pages written, a window of a big file that window); the
// copy has the file's size, so the mapping reads the same bytes at the same offsets. A file with no name left (a memfd, a deleted file)
// has no lasting identity — its inode number goes to the next file as soon as it is freed, maybe with
// the same size and mtime — so it is copied at every mapping (while the mapping's fd or the mapping
// keeps it alive) and never taken from the hash cache; identical copies are then stored once.
import { closeSync, constants, copyFileSync, fstatSync, linkSync, openSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pageAlign } from '../kernel/mman.js';
import { readMaps } from '../tracee/maps.js';
import { HashCache, identityOf } from '../trace/content-hash.js';
import { clip, copySparse, dataRanges, totalBytes, type Range } from '../trace/sparse.js';
import type { FileRef } from '../trace/events.js';
import { copyName, NO_COPY, traceDirOf } from '../trace/file-copies.js';
import { appendIndexEntry } from '../trace/file-index.js';
import { UnsupportedError } from '../tracee/errors.js';

/** Directories of system files: their copies are hard links, and the program is not expected to change them. */
export const SYSTEM_DIRS = ['/usr/', '/lib/', '/lib64/', '/bin/', '/sbin/', '/opt/'];

export interface FileStoreOptions {
  /** Never hard-link files from outside the trace (rewind record --pack). */
  pack?: boolean;
  /** Where hashes of files already seen are kept (default: the user's cache directory). */
  cache?: HashCache;
}

/** A mapping's copy leaves out the data outside its window from this many bytes of it. */
export const PARTIAL_FROM = 16 * 1024 * 1024;

export interface MappedWindow {
  /** File offset of the mapping. */
  offset: bigint;
  /** Its length in bytes (whole pages). */
  length: bigint;
}

interface Known {
  /** The file range the copy holds; null: all of the file's data. */
  range: Range | null;
  ref: FileRef;
}

export class FileStore {
  private readonly byKey = new Map<string, Known[]>();
  /** With pack, or for files without a name: the private copy already holding each content hash. */
  private readonly byHash = new Map<string, string>();
  /** By inode number: the file ranges of the copies made (null: a whole copy), for checkGrownMapping. */
  private readonly copiedRanges = new Map<number, { range: Range | null; size: number }[]>();
  private count = 0;
  private readonly traceDir: string;
  private readonly cache: HashCache;
  private readonly pack: boolean;

  constructor(private readonly dir: string, opts: FileStoreOptions = {}) {
    this.traceDir = traceDirOf(dir);
    this.cache = opts.cache ?? new HashCache();
    this.pack = opts.pack ?? false;
  }

  /**
   * Captures the file that `source` opens (a path, or a /proc link such as /proc/PID/fd/N or
   * /proc/PID/map_files/A-B, which work even for deleted files). With `window` (a mapping), a copy need
   * hold only that part of the file.
   */
  capture(source: string, window?: MappedWindow): FileRef {
    const st = statSync(source, { bigint: true });
    const shown = source.startsWith('/proc/') ? readlinkSync(source) : source;
    if (!st.isFile()) {
      if (shown === '/dev/zero') return { path: shown, copy: NO_COPY, dev: st.dev, ino: st.ino, size: 0n, mtimeNs: 0n };
      throw new UnsupportedError(`mapping ${shown}, which is not a regular file`);
    }
    const size = Number(st.size);
    const named = st.nlink > 0n;
    const want: Range = window
      ? { start: Math.min(size, Number(window.offset)), end: Math.min(size, Number(window.offset + window.length)) }
      : { start: 0, end: size };
    const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.size}`;
    if (named) {
      const known = this.byKey.get(key)?.find((k) => k.range === null || (k.range.start <= want.start && want.end <= k.range.end));
      if (known) return known.ref;
    }
    const name = copyName(++this.count, shown);
    const dst = join(this.dir, name);
    const sourceId = identityOf(st);
    let hash = named ? this.cache.get(sourceId) : null;
    const same = hash !== null && this.pack ? this.byHash.get(hash) : undefined;
    let range: Range | null = null;
    if (same !== undefined) linkSync(join(this.dir, same), dst); // the trace's own copy: private
    else if (this.pack || !named || !this.tryLink(shown, st.dev, st.ino, dst)) range = this.copy(source, dst, size, want, Number(st.mode & 0o777n));
    const copied = statSync(dst, { bigint: true });
    if (copied.size !== st.size) {
      rmSync(dst, { force: true });
      throw new UnsupportedError(`${shown} changed while rewind copied it`);
    }
    if (range !== null) hash = null; // part of the file: not the source's content
    if (hash === null) {
      // Hash what the trace holds; the source had the same content when it was copied or linked.
      hash = this.cache.hashOf(dst, identityOf(copied)).hash;
      if (named && range === null) this.cache.put(sourceId, hash, shown);
    } else {
      this.cache.put(identityOf(copied), hash, dst);
    }
    if (this.pack || !named) {
      // With pack, and for files without a name (copied at every mapping): identical copies stored once.
      const first = this.byHash.get(hash);
      if (first === undefined) this.byHash.set(hash, name);
      else if (first !== same) {
        // Same content as an earlier private copy (found only by hashing this one): keep one.
        rmSync(dst);
        linkSync(join(this.dir, first), dst);
      }
    }
    appendIndexEntry(this.traceDir, { copy: name, path: shown, size: Number(st.size), sha256: hash });
    const ref: FileRef = { path: shown, copy: name, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
    const ranges = this.copiedRanges.get(Number(st.ino)) ?? [];
    ranges.push({ range, size });
    this.copiedRanges.set(Number(st.ino), ranges);
    if (named) {
      const list = this.byKey.get(key) ?? [];
      list.push({ range, ref });
      this.byKey.set(key, list);
    }
    return ref;
  }

  /**
   * The file a successful mmap(addr, length, …, fd, offset) of task tid mapped at `at`: through the fd
   * (which works for any user), or, when the fd is already gone (another thread closed it), through the
   * mapping itself (/proc/TID/map_files/, which keeps even a memfd or deleted file reachable).
   */
  captureMapping(tid: number, fd: bigint, at: bigint, length: bigint, offset: bigint): FileRef {
    const window = { offset, length: pageAlign(length) };
    try {
      return this.capture(`/proc/${tid}/fd/${fd}`, window);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EBADF') throw e;
      return this.capture(`/proc/${tid}/map_files/${at.toString(16)}-${(at + window.length).toString(16)}`, window);
    }
  }

  /**
   * After mremap grew a mapping of task tid to `length` bytes at `at`: replay grows its mapping of the
   * trace's copy the same way, so the copy must hold the grown part. A file rewind copied only part of
   * (a window of a sparse file) where the grown part is not copied stops recording (UnsupportedError).
   */
  checkGrownMapping(tid: number, at: bigint, length: bigint): void {
    const m = readMaps(tid).find((x) => x.start === at);
    if (!m || m.inode === 0) return;
    const ranges = this.copiedRanges.get(m.inode);
    if (!ranges) return;
    const start = Number(m.offset);
    const end = start + Number(pageAlign(length));
    // Which copy the mapping came from is not known here (the inode number alone names it): every copy
    // of the inode must hold the grown part. Past the end of the file a mapping faults (SIGBUS) at
    // record and replay alike: only the file counts.
    if (ranges.every(({ range: r, size }) => r === null || (r.start <= start && Math.min(end, size) <= r.end))) return;
    throw new UnsupportedError(`mremap grew a mapping of ${m.name} beyond the part of the file rewind copied`);
  }

  /**
   * Copies source to dst: all of its data, holes kept, or — when it has data outside `want` — only the
   * data inside `want` (the rest a hole). Returns the range copied, or null for all of the file.
   */
  private copy(source: string, dst: string, size: number, want: Range, mode: number): Range | null {
    const fd = openSync(source, 'r');
    try {
      if (Number(fstatSync(fd, { bigint: true }).size) !== size) throw new UnsupportedError(`${source} changed while rewind copied it`);
      const data = dataRanges(fd, size);
      const needed = clip(data, want);
      // Data outside the window is left out when there is much of it; a little is copied too, so
      // one copy serves every window of the file.
      const whole = totalBytes(data) - totalBytes(needed) < PARTIAL_FROM;
      if (whole && data.length === 1 && data[0]!.start === 0 && data[0]!.end === size) {
        // No hole: the kernel copies it (or reflinks it where the file system can).
        copyFileSync(source, dst, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      } else {
        copySparse(fd, dst, size, whole ? data : needed, mode);
      }
      return whole ? null : want;
    } finally {
      closeSync(fd);
    }
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
