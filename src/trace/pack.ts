// Trace layer: `rewind pack` — make a trace self-contained. Every copy in files/ that is a hard link to a
// file outside the trace (a system library) becomes a private copy, and copies with the same content are
// stored once (hard links among the trace's own copies, which nothing outside shares). Every change is a
// new file under a temporary name in files/ renamed over the old name, so an interrupted pack leaves a
// valid trace (run it again to finish); a damaged copy (content no longer the recorded hash) is refused.
// A trace recorded before files.index gets one, hashed now.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HashCache, hashKindFor, hashKindOf, identityOf } from './content-hash.js';
import { copyWhole } from './sparse.js';
import { describeError, TraceError } from './errors.js';
import type { FileRef } from './events.js';
import { FILE_INDEX, readFileIndex, writeIndexAtomic, type FileIndexEntry } from './file-index.js';
import { byCopyNumber, hasCopy } from './file-copies.js';
import { FILES_DIR, readMeta } from './meta.js';
import { TraceReader } from './trace-reader.js';

/** Temporary names pack uses in files/ (copy names never start with a dot). */
const TMP_PREFIX = '.pack-';

interface Copy {
  name: string;
  file: string;
  st: fs.BigIntStats;
}

export interface FilesState {
  /** Copies in files/. */
  copies: number;
  /** Copies that are hard links to a file outside the trace. */
  shared: number;
  /** Bytes of distinct files (each inode once) the trace holds in files/. */
  bytes: number;
  /** What they occupy on disk (allocated blocks: a sparse copy's holes take none). */
  diskBytes: number;
  /** No copy is shared with a file outside the trace. */
  packed: boolean;
  /** The trace has files.index (sizes and hashes of its copies). */
  indexed: boolean;
}

function listCopies(filesDir: string): Copy[] {
  let names: string[];
  try {
    names = fs.readdirSync(filesDir).sort(byCopyNumber);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TraceError(`cannot list ${filesDir}: ${describeError(e)}`);
  }
  const out: Copy[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = path.join(filesDir, name);
    const st = fs.lstatSync(file, { bigint: true });
    if (st.isFile()) out.push({ name, file, st });
  }
  return out;
}

const inodeKey = (st: fs.BigIntStats): string => `${st.dev}:${st.ino}`;

/** Whether each copy's inode has names only inside files/ (its link count is the names it has there). */
function privacy(copies: Copy[]): (c: Copy) => boolean {
  const names = new Map<string, number>();
  for (const c of copies) names.set(inodeKey(c.st), (names.get(inodeKey(c.st)) ?? 0) + 1);
  return (c) => BigInt(names.get(inodeKey(c.st)) ?? 0) >= c.st.nlink;
}

/** How self-contained a trace's files/ is. */
export function filesState(dir: string): FilesState {
  const copies = listCopies(path.join(dir, FILES_DIR));
  const isPrivate = privacy(copies);
  const seen = new Set<string>();
  let bytes = 0;
  let diskBytes = 0;
  let shared = 0;
  for (const c of copies) {
    if (!isPrivate(c)) shared++;
    if (!seen.has(inodeKey(c.st))) {
      seen.add(inodeKey(c.st));
      bytes += Number(c.st.size);
      diskBytes += Number(c.st.blocks) * 512;
    }
  }
  return { copies: copies.length, shared, bytes, diskBytes, packed: shared === 0, indexed: fs.existsSync(path.join(dir, FILE_INDEX)) };
}

export interface PackResult {
  copies: number;
  /** Hard links to outside files replaced by private copies. */
  madePrivate: number;
  /** Bytes copied to make them private. */
  bytesCopied: number;
  /** Copies that now share another copy's file (same content). */
  deduplicated: number;
  /** Bytes of distinct files in files/ before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** What files/ occupies on disk afterwards. */
  diskBytesAfter: number;
  /** files.index was created (a trace recorded before it existed). */
  indexCreated: boolean;
  /** Nothing had to change. */
  unchanged: boolean;
}

/** Packs the trace in dir (see the top of this file). TraceError on a damaged or unreadable trace. */
export function packTrace(dir: string, cache: HashCache = new HashCache()): PackResult {
  readMeta(dir); // a trace, of a version this rewind reads
  const filesDir = path.join(dir, FILES_DIR);
  const fail = (what: string, e: unknown): never => {
    throw new TraceError(`cannot pack ${dir}: ${what}: ${describeError(e)}`);
  };
  // Leftovers of an interrupted pack.
  try {
    for (const n of fs.existsSync(filesDir) ? fs.readdirSync(filesDir) : []) {
      if (n.startsWith(TMP_PREFIX)) fs.rmSync(path.join(filesDir, n), { force: true });
    }
  } catch (e) {
    fail(`cannot clean ${filesDir}`, e);
  }
  const before = filesState(dir);
  const copies = listCopies(filesDir);
  const index = readFileIndex(dir);
  const entries = new Map<string, FileIndexEntry>();
  let recordedPaths: Map<string, string> | null = null;
  const hashes = new Map<string, string>();
  for (const c of copies) {
    let hash: string;
    const entry = index?.get(c.name);
    try {
      hash = cache.hashOf(c.file, identityOf(c.st), entry ? hashKindOf(entry.sha256) : hashKindFor(c.st.size)).hash;
    } catch (e) {
      return fail(`cannot read ${c.file}`, e);
    }
    if (entry) {
      if (BigInt(entry.size) !== c.st.size || entry.sha256 !== hash) {
        throw new TraceError(`cannot pack ${dir}: ${c.file} (the copy of ${entry.path}) has changed since it was recorded: the trace is damaged`);
      }
      entries.set(c.name, entry);
    } else {
      if (index !== null) {
        // A trace with an index lists every copy an event refers to; others are not the recorder's.
        throw new TraceError(`cannot pack ${dir}: ${c.file} is not listed in ${FILE_INDEX}`);
      }
      recordedPaths ??= pathsFromEvents(dir);
      entries.set(c.name, { copy: c.name, path: recordedPaths.get(c.name) ?? '', size: Number(c.st.size), sha256: hash });
    }
    hashes.set(c.name, hash);
  }

  const isPrivate = privacy(copies);
  let madePrivate = 0;
  let bytesCopied = 0;
  let deduplicated = 0;
  const canonical = new Map<string, Copy>(); // content hash -> the private copy holding it
  // Private copies first, so that a content already private in the trace is never copied again.
  const ordered = [...copies.filter(isPrivate), ...copies.filter((c) => !isPrivate(c))];
  for (const c of ordered) {
    const hash = hashes.get(c.name)!;
    const keep = canonical.get(hash);
    const tmp = path.join(filesDir, `${TMP_PREFIX}${c.name}`);
    try {
      if (keep === undefined) {
        if (!isPrivate(c)) {
          const copied = copyWhole(c.file, tmp, Number(c.st.size), Number(c.st.mode & 0o777n)); // never through an existing name; holes stay holes
          fsyncFile(tmp);
          const st = fs.statSync(tmp, { bigint: true });
          cache.put(identityOf(st), hash, c.file);
          fs.renameSync(tmp, c.file);
          madePrivate++;
          bytesCopied += copied;
          canonical.set(hash, { name: c.name, file: c.file, st });
        } else {
          canonical.set(hash, c);
        }
      } else if (inodeKey(keep.st) !== inodeKey(c.st)) {
        fs.linkSync(keep.file, tmp);
        fs.renameSync(tmp, c.file);
        if (!isPrivate(c)) madePrivate++;
        deduplicated++;
      }
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // left for the next pack to clean
      }
      fail(`cannot replace ${c.file}`, e);
    }
  }
  const indexCreated = index === null && copies.length > 0;
  const changedIndex = index === null ? copies.length > 0
    : index.size !== entries.size || [...index.keys()].some((k) => !entries.has(k));
  if (changedIndex) writeIndexAtomic(dir, entries.values());
  if (madePrivate + deduplicated > 0) fsyncDir(filesDir);
  const after = filesState(dir);
  return {
    copies: copies.length, madePrivate, bytesCopied, deduplicated, bytesBefore: before.bytes, bytesAfter: after.bytes, diskBytesAfter: after.diskBytes,
    indexCreated, unchanged: madePrivate + deduplicated === 0 && !changedIndex,
  };
}

/** The recorded path of each copy, from the events (for the index of a trace recorded without one). */
function pathsFromEvents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (r: FileRef | null | undefined): void => {
    if (r && hasCopy(r) && !out.has(r.copy)) out.set(r.copy, r.path);
  };
  try {
    for (const ev of TraceReader.open(dir).events()) {
      if (ev.kind === 'exec') {
        add(ev.exe);
        add(ev.interp);
      } else if (ev.kind === 'syscall') {
        add(ev.file);
      }
    }
  } catch {
    // a damaged events stream: the copies are still packed, their paths left empty
  }
  return out;
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    fsyncFile(dir);
  } catch {
    // not every file system lets a directory be synced
  }
}
