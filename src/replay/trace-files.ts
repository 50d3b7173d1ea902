// Replay: finding the trace's copy of a recorded file, after checking it is still the recorded file:
// its size, and — when the trace has a files.index — its SHA-256, once per copy and process, from the
// user's hash cache when the copy (same device, inode, size, mtime) was hashed before.
import { statSync } from 'node:fs';
import { HashCache, hashKindOf, identityOf } from '../trace/content-hash.js';
import type { FileRef } from '../trace/events.js';
import { copyFile, readCopyIndex } from '../trace/file-copies.js';
import type { FileIndexEntry } from '../trace/file-index.js';
import { TraceError } from '../trace/errors.js';
import { UnsupportedError } from '../tracee/errors.js';

/** files.index of each trace seen, by its files/ folder (null: an older trace without one). */
const indexes = new Map<string, Map<string, FileIndexEntry> | null>();
/** Copies whose content was checked, by path, with the identity it was checked at. */
const verified = new Map<string, string>();
let cache: HashCache | null = null;

/**
 * Copies copyPath already checked in this replay run, by files dir and copy name: each is checked once
 * per run (make -j2 maps 555 pieces of files: a stat each cost 15 ms), and again in the next run (a
 * debugging session runs many; a library updated in place meanwhile is caught then).
 */
const checkedCopies = new Set<string>();

/** A new replay run: every copy is checked again at its first use. */
export function forgetCheckedCopies(): void {
  checkedCopies.clear();
}

export function copyPath(filesDir: string, ref: FileRef): string {
  const p = copyFile(filesDir, ref);
  const key = `${filesDir}\0${ref.copy}\0${ref.size}`;
  if (checkedCopies.has(key)) return p;
  let st;
  try {
    st = statSync(p, { bigint: true });
  } catch {
    throw new UnsupportedError(`the trace's copy of ${ref.path} (${ref.copy}) is missing`);
  }
  // A hard link shares the original's inode, so an in-place rewrite of the original shows up as a new
  // mtime — unless the trace has content hashes, which decide (a copy moved elsewhere may get the
  // recorded inode number by chance, with another mtime).
  const linked = st.ino === ref.ino && st.dev === ref.dev;
  if (st.size !== ref.size || (linked && st.mtimeNs !== ref.mtimeNs && !hasIndex(filesDir))) {
    throw new UnsupportedError(`the trace's copy of ${ref.path} (${p}) was modified after recording`);
  }
  verifyContent(filesDir, ref, p, st);
  checkedCopies.add(key);
  return p;
}

function indexOf(filesDir: string): Map<string, FileIndexEntry> | null {
  let index = indexes.get(filesDir);
  if (index === undefined) {
    try {
      index = readCopyIndex(filesDir);
    } catch (e) {
      if (e instanceof TraceError) throw new UnsupportedError(e.message);
      throw e;
    }
    indexes.set(filesDir, index);
  }
  return index;
}

function hasIndex(filesDir: string): boolean {
  return indexOf(filesDir) !== null;
}

function verifyContent(filesDir: string, ref: FileRef, p: string, st: import('node:fs').BigIntStats): void {
  const id = identityOf(st);
  const stamp = `${id.dev}:${id.ino}:${id.size}:${id.mtimeNs}`;
  if (verified.get(p) === stamp) return;
  const index = indexOf(filesDir);
  if (index === null) return; // recorded before files.index: nothing to compare with
  const entry = index.get(ref.copy);
  if (!entry) throw new UnsupportedError(`the trace's copy of ${ref.path} (${p}) is not listed in files.index: the trace is damaged`);
  let hash: string;
  try {
    cache ??= new HashCache();
    hash = cache.hashOf(p, id, hashKindOf(entry.sha256)).hash;
  } catch (e) {
    throw new UnsupportedError(`cannot read the trace's copy of ${ref.path} (${p}): ${(e as Error).message}`);
  }
  if (BigInt(entry.size) !== st.size || hash !== entry.sha256) {
    throw new UnsupportedError(
      `the trace's copy of ${ref.path} (${p}) has changed since it was recorded (its SHA-256 differs): the trace is damaged`,
    );
  }
  verified.set(p, stamp);
}

/**
 * Whether a live file (the interpreter the kernel mapped from this machine's file system) is the one
 * recorded: same size and mtime, or — on another machine, where the same file has another mtime — the
 * same size and the SHA-256 files.index has for its copy.
 */
export function sameAsRecorded(filesDir: string, ref: FileRef, live: string): boolean {
  const st = statSync(live, { bigint: true });
  if (st.size !== ref.size) return false;
  if (st.mtimeNs === ref.mtimeNs) return true;
  let index: Map<string, FileIndexEntry> | null;
  try {
    index = indexOf(filesDir);
  } catch {
    return false;
  }
  const entry = index?.get(ref.copy);
  if (!entry) return false;
  try {
    cache ??= new HashCache();
    return cache.hashOf(live, identityOf(st), hashKindOf(entry.sha256)).hash === entry.sha256;
  } catch {
    return false;
  }
}
