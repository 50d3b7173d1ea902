// Replay: one backing per recorded file that the program maps shared (MAP_SHARED), known by the
// recorded identity (device, inode). The backing is a memory file of rewind's own (memfd_create),
// filled from the trace's copy when the file is first mapped; every mapping of that file, in any
// replayed process (forked children inherit theirs), maps the same backing, so they alias each other
// as the originals did, and memory written through one shows through all. The replayed process opens
// it through /proc/<rewind>/fd/N (an injected openat) and closes it once mapped. Changes the program
// made to the file with calls replay emulates (write, pwrite, ftruncate…: the event's FileChange,
// src/record/shared-files.ts) are applied to the backing, so mappings see them where they did when
// recorded. A private mapping of a file that has a backing maps the backing privately (it sees the
// file's current content, as it would have). Nothing outside rewind is written: the backings live in
// memory and go away with the replay.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { FileChange, FileRef } from '../trace/events.js';
import { dataRanges } from '../trace/sparse.js';
import { native } from '../native/addon.js';
import { UnsupportedError } from '../tracee/errors.js';
import { copyPath } from './trace-files.js';

const CHUNK = 1 << 20;
/** A backing's memfd name: this, then the name of the trace's copy it was made from. */
const NAME_PREFIX = 'rewind-shared:';

/**
 * The trace copy's name (FileRef.copy) a mapping's name in /proc/PID/maps shows it is a shared backing
 * of (`/memfd:rewind-shared:COPY`), or null.
 */
export function backingCopyName(mapName: string): string | null {
  const prefix = `/memfd:${NAME_PREFIX}`;
  return mapName.startsWith(prefix) ? mapName.slice(prefix.length) : null;
}

export class SharedBackings {
  /** rewind's fd of each backing, by `dev:ino` of the recorded file. */
  private readonly fds = new Map<string, number>();
  /** Files some process mapped from the trace's copy because it could not reach their backing: path by key. */
  private readonly unreached = new Map<string, string>();

  constructor(private readonly filesDir: string) {}

  /** Whether any backing exists (the replayed processes' memory then depends on it). */
  get any(): boolean {
    return this.fds.size > 0;
  }

  has(file: FileRef): boolean {
    return this.fds.has(key(file.dev, file.ino));
  }

  /** The path a replayed process opens to reach file's backing, made from the trace's copy the first time. */
  pathOf(file: FileRef): string {
    const k = key(file.dev, file.ino);
    let fd = this.fds.get(k);
    if (fd === undefined) {
      fd = this.create(file);
      this.fds.set(k, fd);
    }
    return `/proc/${process.pid}/fd/${fd}`;
  }

  /**
   * A process could not reach file's backing (a user namespace of its own) and mapped it read-only from
   * the trace's copy instead: that mapping would not see later changes, so they are refused.
   */
  unreachable(file: FileRef): void {
    this.unreached.set(key(file.dev, file.ino), file.path);
  }

  /** A change an emulated call made to a file mapped shared. */
  apply(change: FileChange): void {
    const path = this.unreached.get(key(change.dev, change.ino));
    if (path !== undefined) {
      throw new UnsupportedError(`${path} is mapped shared by a process in a user namespace of its own and then changed: `
        + 'rewind cannot replay that yet');
    }
    const fd = this.fds.get(key(change.dev, change.ino));
    if (fd === undefined) return; // not mapped in this replay (yet): its copy will hold the change
    if (change.data.length > 0) writeAll(fd, change.data, Number(change.offset));
    ftruncateSync(fd, Number(change.size));
  }

  /** Closes every backing (the replay is over or abandoned; mappings still alive keep theirs). */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private create(file: FileRef): number {
    const fd = native.memfdCreate(`${NAME_PREFIX}${file.copy}`.slice(0, 249));
    if (fd < 0) throw new UnsupportedError(`cannot make the shared backing of ${file.path} (memfd_create: errno ${-fd})`);
    try {
      const src = openSync(copyPath(this.filesDir, file), 'r');
      try {
        // Only the copy's data: its holes stay holes in the backing (a sparse copy may be 100 GiB long).
        const buf = new Uint8Array(CHUNK);
        for (const range of dataRanges(src, fstatSync(src).size)) {
          for (let at = range.start; at < range.end;) {
            const n = readSync(src, buf, 0, Math.min(CHUNK, range.end - at), at);
            if (n <= 0) break;
            writeAll(fd, buf.subarray(0, n), at);
            at += n;
          }
        }
      } finally {
        closeSync(src);
      }
      ftruncateSync(fd, Number(file.size));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return fd;
  }
}

function key(dev: bigint, ino: bigint): string {
  return `${dev}:${ino}`;
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done, position + done);
}
