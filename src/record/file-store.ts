// Recording: the trace's own copies of the files a program maps or executes (trace dir files/).
// System files are hard-linked when they live on the trace's file system (package managers replace
// them by rename, so the link keeps the old content); everything else is copied (reflink when possible).
// Copies are deduplicated by (device, inode, mtime, size).
import { constants, copyFileSync, linkSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FileRef } from '../trace/events.js';
import { UnsupportedError } from '../tracee/errors.js';

const SYSTEM_DIRS = ['/usr/', '/lib/', '/lib64/', '/bin/', '/sbin/', '/opt/'];

export class FileStore {
  private readonly byKey = new Map<string, FileRef>();
  private count = 0;

  constructor(private readonly dir: string) {}

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
    if (!this.tryLink(shown, st.dev, st.ino, dst)) copyFileSync(source, dst, constants.COPYFILE_FICLONE);
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
