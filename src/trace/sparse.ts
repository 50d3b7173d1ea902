// Trace layer: sparse files. Where a file holds data (SEEK_DATA / SEEK_HOLE: a hole reads as zeros and
// occupies no disk), and copies that keep holes as holes and copy only the ranges asked for, so a
// 100 GiB file with a few written pages costs a few pages to copy, store and hash.
import * as fs from 'node:fs';
import { SEEK_DATA, SEEK_HOLE } from '../kernel/seek.js';
import { native } from '../native/addon.js';

/** A byte range [start, end). Offsets are below 2^53 (a file of 8 PiB). */
export interface Range {
  start: number;
  end: number;
}

const ENXIO = 6;
const CHUNK = 1024 * 1024;

/**
 * The ranges of fd's file (of this size) that hold data, in order. A file system without SEEK_DATA
 * (or a file it does not support it for) is all data: one range.
 */
export function dataRanges(fd: number, size: number): Range[] {
  const out: Range[] = [];
  let pos = 0;
  while (pos < size) {
    const start = native.lseek(fd, pos, SEEK_DATA);
    if (start === -ENXIO) break; // only a hole up to the end
    if (start < 0) return size > 0 ? [{ start: 0, end: size }] : [];
    if (start >= size) break;
    let end = native.lseek(fd, start, SEEK_HOLE);
    if (end < 0) end = size;
    end = Math.min(end, size);
    if (end <= start) break;
    out.push({ start, end });
    pos = end;
  }
  return out;
}

/** The parts of ranges inside window. */
export function clip(ranges: readonly Range[], window: Range): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    const start = Math.max(r.start, window.start);
    const end = Math.min(r.end, window.end);
    if (start < end) out.push({ start, end });
  }
  return out;
}

export function totalBytes(ranges: readonly Range[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start), 0);
}

/**
 * Creates dst (it must not exist) with the size of src's file and only the given ranges of its content
 * (default: all of its data); everything else is a hole. mode: dst's permissions (less the umask).
 * Returns the bytes copied.
 */
export function copySparse(src: string | number, dst: string, size: number, ranges?: readonly Range[], mode = 0o644): number {
  const inFd = typeof src === 'number' ? src : fs.openSync(src, 'r');
  try {
    const parts = ranges ?? dataRanges(inFd, size);
    const outFd = fs.openSync(dst, 'wx', mode);
    let copied = 0;
    try {
      const buf = new Uint8Array(CHUNK);
      for (const r of parts) {
        for (let pos = r.start; pos < r.end;) {
          const n = fs.readSync(inFd, buf, 0, Math.min(CHUNK, r.end - pos), pos);
          if (n === 0) break; // the file shrank: the size check after the copy says so
          for (let done = 0; done < n;) done += fs.writeSync(outFd, buf, done, n - done, pos + done);
          pos += n;
          copied += n;
        }
      }
      fs.ftruncateSync(outFd, size);
    } finally {
      fs.closeSync(outFd);
    }
    return copied;
  } finally {
    if (typeof src !== 'number') fs.closeSync(inFd);
  }
}

/**
 * Creates dst (it must not exist) as a copy of all of src: a reflink where the file system can (no
 * data copied, holes kept), else copySparse. Returns the bytes copied (0 for a reflink).
 */
export function copyWhole(src: string, dst: string, size: number, mode: number): number {
  try {
    fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE_FORCE | fs.constants.COPYFILE_EXCL);
    return 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
    fs.rmSync(dst, { force: true });
  }
  return copySparse(src, dst, size, undefined, mode);
}
