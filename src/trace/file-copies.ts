// Trace layer: the contract of the trace's file copies (files/), kept once for both sides. The recorder
// (record/file-store.ts) names each copy and lists its size and SHA-256 in files.index (file-index.ts)
// before any event names it; replay (replay/trace-files.ts) and the debugger find a copy from an event's
// FileRef and check it against that list; `rewind pack` (pack.ts) orders and rewrites the copies.
import { basename, dirname, join } from 'node:path';
import type { FileRef } from './events.js';
import { readFileIndex, type FileIndexEntry } from './file-index.js';

/** FileRef.copy of a mapped file the trace holds no copy of: /dev/zero (replay maps the device privately, anonymous memory shared). */
export const NO_COPY = '';

/** Whether the trace holds a copy of the file a FileRef names. */
export function hasCopy(ref: FileRef): boolean {
  return ref.copy !== NO_COPY;
}

/**
 * The name the n-th copy the recorder makes gets in files/: the number, then the recorded file's name
 * made safe ("12-libc.so.6"). It never starts with a dot (pack's temporary names do).
 */
export function copyName(n: number, recordedPath: string): string {
  return `${n}-${basename(recordedPath).replace(/[^\w.+-]/g, '_').slice(0, 64) || 'file'}`;
}

/** Copy names in the order they were made ("9-ld.so" before "12-libc.so.6"): by number, then by name. */
export function byCopyNumber(a: string, b: string): number {
  const na = parseInt(a, 10);
  const nb = parseInt(b, 10);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the copy a FileRef names is, in the trace's files/ folder. */
export function copyFile(filesDir: string, ref: FileRef): string {
  return join(filesDir, ref.copy);
}

/** The trace folder whose files/ is `filesDir` (files.index sits beside files/). */
export function traceDirOf(filesDir: string): string {
  return dirname(filesDir);
}

/** files.index of the trace whose copies are in `filesDir`, by copy name; null for a trace recorded before it. */
export function readCopyIndex(filesDir: string): Map<string, FileIndexEntry> | null {
  return readFileIndex(traceDirOf(filesDir));
}
