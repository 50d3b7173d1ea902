// Trace layer: files.index, the list of the trace's file copies with the size and SHA-256 each had when it
// was made. JSON Lines, one copy per line, appended (one write each, O_APPEND) as the recorder makes the
// copies, before any event names them: a recorder killed midway leaves a valid index of every copy an
// event can refer to (a last line cut short is ignored). `rewind pack` rewrites it whole, atomically.
// Traces recorded before it existed have none: their copies are not verified.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLOCK_HASH_NAME, HASH_NAME, hashHex, hashKindOf, hashString } from './content-hash.js';
import { describeError, TraceError } from './errors.js';

export const FILE_INDEX = 'files.index';

export interface FileIndexEntry {
  /** The copy's name in files/ (FileRef.copy). */
  copy: string;
  /** The path the recorded program saw (FileRef.path). */
  path: string;
  /** Size in bytes. */
  size: number;
  /**
   * The content hash as content-hash.ts writes it: SHA-256 as lowercase hex, or, for copies of 64 MiB
   * or more, "sha256-blocks:" and the block hash's hex (field "sha256-blocks" in the file).
   */
  sha256: string;
}

function line(e: FileIndexEntry): string {
  const field = hashKindOf(e.sha256) === 'sha256' ? HASH_NAME : BLOCK_HASH_NAME;
  return JSON.stringify({ copy: e.copy, path: e.path, size: e.size, [field]: hashHex(e.sha256) }) + '\n';
}

/** Appends one entry to dir/files.index (created if needed) in a single write. */
export function appendIndexEntry(dir: string, e: FileIndexEntry): void {
  const file = path.join(dir, FILE_INDEX);
  try {
    fs.appendFileSync(file, line(e), { mode: 0o644 });
  } catch (err) {
    throw new TraceError(`cannot write ${file}: ${describeError(err)}`);
  }
}

/** Replaces dir/files.index with these entries (temporary file, then rename). */
export function writeIndexAtomic(dir: string, entries: Iterable<FileIndexEntry>): void {
  const file = path.join(dir, FILE_INDEX);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const text = [...entries].map(line).join('');
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do
    }
    throw new TraceError(`cannot write ${file}: ${describeError(err)}`);
  }
}

/**
 * The entries of dir/files.index by copy name (a later line for the same copy wins), or null when the
 * trace has no index (recorded before there was one). A last line without its newline (the recorder was
 * killed while appending it) is ignored; any other bad line is a TraceError.
 */
export function readFileIndex(dir: string): Map<string, FileIndexEntry> | null {
  const file = path.join(dir, FILE_INDEX);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TraceError(`cannot read ${file}: ${describeError(e)}`);
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a torn last line
  const out = new Map<string, FileIndexEntry>();
  lines.forEach((l, i) => {
    const bad = (why: string): never => {
      throw new TraceError(`corrupt trace ${dir}: ${FILE_INDEX} line ${i + 1} ${why}`);
    };
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch {
      bad('is not valid JSON');
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('is not an object');
    const r = o as Record<string, unknown>;
    const copy = r['copy'];
    const p = r['path'];
    const size = r['size'];
    const blocks = r[BLOCK_HASH_NAME] !== undefined;
    const hash = r[blocks ? BLOCK_HASH_NAME : HASH_NAME];
    if (typeof copy !== 'string' || copy === '' || copy.includes('/') || copy.startsWith('.')) bad('has no valid "copy"');
    if (typeof p !== 'string') bad('has no "path" string');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad('has no valid "size"');
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) bad(`has no valid "${HASH_NAME}" or "${BLOCK_HASH_NAME}"`);
    const sha256 = hashString(blocks ? 'sha256-blocks' : 'sha256', hash as string);
    out.set(copy as string, { copy: copy as string, path: p as string, size: size as number, sha256 });
  });
  return out;
}
