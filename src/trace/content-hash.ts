// Trace layer: content hashes of the trace's file copies (SHA-256, node:crypto), and a per-user cache of
// them keyed by file identity, so a file already hashed (libc at every recording, a trace's copy at every
// replay) is not read again. The cache lives in $XDG_CACHE_HOME/rewind/file-hashes (default
// ~/.cache/rewind/file-hashes): one small file per (device, inode), holding the size, mtime and hash it
// was taken at, and the path it was seen under (used only to prune entries whose file is gone). A
// failing cache (read-only home, no HOME) is no cache: hashing still works.
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { sha256 } from './sha256.js';
import { dataRanges } from './sparse.js';

/** The hash the trace's file index records (the field name in files.index). */
export const HASH_NAME = 'sha256';
/** The index field of the block hash, for files of BLOCK_HASH_FROM bytes or more. */
export const BLOCK_HASH_NAME = 'sha256-blocks';
/** How a block hash is written where a hash is a string (cache, FileIndexEntry): this, then the hex. */
const BLOCK_PREFIX = `${BLOCK_HASH_NAME}:`;
/**
 * Files this big are hashed by blocks: SHA-256 over, for each 64 KiB block (the last one may be
 * shorter) that is not all zeros, its index (u64 little-endian) and its bytes; then the size (u64
 * little-endian). A function of the content alone, like plain SHA-256, but a hole (zeros) is never
 * read: only the file's data ranges (SEEK_DATA) are, so a 100 GiB sparse file with a few written
 * pages is hashed in microseconds. Smaller files: plain SHA-256 of the content.
 */
export const BLOCK_HASH_FROM = 64 * 1024 * 1024;
const BLOCK = 64 * 1024;

export type HashKind = 'sha256' | 'sha256-blocks';

/** The kind of hash a file of this size gets. */
export function hashKindFor(size: number | bigint): HashKind {
  return BigInt(size) >= BigInt(BLOCK_HASH_FROM) ? 'sha256-blocks' : 'sha256';
}

/** The kind of a hash string ("HEX": SHA-256; "sha256-blocks:HEX"). */
export function hashKindOf(hash: string): HashKind {
  return hash.startsWith(BLOCK_PREFIX) ? 'sha256-blocks' : 'sha256';
}

/** A hash string's hex digits, and back. */
export function hashHex(hash: string): string {
  return hash.startsWith(BLOCK_PREFIX) ? hash.slice(BLOCK_PREFIX.length) : hash;
}
export function hashString(kind: HashKind, hex: string): string {
  return kind === 'sha256-blocks' ? BLOCK_PREFIX + hex : hex;
}
const HASH_RE = new RegExp(`^(${BLOCK_PREFIX})?[0-9a-f]{64}$`);

/** The identity a cached hash is valid for: a write to the file changes its mtime (or size). */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

const READ_CHUNK = 1024 * 1024;

/**
 * The content hash of a file: SHA-256 as lowercase hex (read 1 MiB at a time), or for kind
 * 'sha256-blocks' (the default from BLOCK_HASH_FROM bytes on) "sha256-blocks:" and the block hash's hex.
 */
export function hashFile(file: string, kind?: HashKind): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if ((kind ?? hashKindFor(size)) === 'sha256-blocks') return hashString('sha256-blocks', blockHash(fd, size));
    const h = sha256();
    const buf = new Uint8Array(READ_CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** The block hash (see BLOCK_HASH_FROM) of fd's file, as hex: only its data ranges are read. */
function blockHash(fd: number, size: number): string {
  const h = sha256();
  const buf = new Uint8Array(READ_CHUNK); // whole blocks, read 1 MiB at a time
  const zero = new Uint8Array(BLOCK);
  const index = new DataView(new ArrayBuffer(8));
  let next = 0; // the first block not hashed yet
  for (const r of dataRanges(fd, size)) {
    let b = Math.max(next, Math.floor(r.start / BLOCK));
    while (b * BLOCK < r.end) {
      const count = Math.min(READ_CHUNK / BLOCK, Math.ceil((r.end - b * BLOCK) / BLOCK));
      const want = Math.min(count * BLOCK, size - b * BLOCK);
      let n = 0;
      while (n < want) {
        const got = fs.readSync(fd, buf, n, want - n, b * BLOCK + n);
        if (got === 0) break;
        n += got;
      }
      buf.fill(0, n, want); // the file shrank meanwhile: the hash then differs from the index's
      for (let i = 0; i * BLOCK < want; i++) {
        const block = buf.subarray(i * BLOCK, Math.min(want, (i + 1) * BLOCK));
        if (Buffer.compare(block, zero.subarray(0, block.length)) === 0) continue;
        index.setBigUint64(0, BigInt(b + i), true);
        h.update(new Uint8Array(index.buffer));
        h.update(block);
      }
      b += count;
      next = b;
    }
  }
  index.setBigUint64(0, BigInt(size), true);
  h.update(new Uint8Array(index.buffer));
  return h.digest('hex');
}

/** The hash cache directory: $XDG_CACHE_HOME/rewind/file-hashes, or ~/.cache/rewind/file-hashes. */
export function defaultCacheDir(): string | null {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'rewind', 'file-hashes');
  let home: string;
  try {
    home = homedir();
  } catch {
    return null;
  }
  return home ? path.join(home, '.cache', 'rewind', 'file-hashes') : null;
}

/** Above this many entries, a store now and then drops the entries whose file is gone. */
const PRUNE_ABOVE = 2000;
/**
 * …at most once in this long per cache directory (the time is the mtime of PRUNE_STAMP in it): the
 * check lists the directory, and dropping reads every entry and stats its file (165 ms for 2000
 * entries here), which each recording's first store paid while the count stayed above PRUNE_ABOVE.
 */
export const PRUNE_EVERY_MS = 24 * 3600_000;
/** The file whose mtime is the last prune's time (a dot file: never taken for an entry). */
export const PRUNE_STAMP = '.pruned';

export class HashCache {
  /** Hashes taken or found by this process (the disk is not asked twice). */
  private readonly memo = new Map<string, string>();
  private stores = 0;

  /** dir: where the entries live; null: remember in memory only. */
  constructor(private readonly dir: string | null = defaultCacheDir()) {}

  private static key(id: FileIdentity): string {
    return `${id.dev}-${id.ino}`;
  }

  private static stamp(id: FileIdentity): string {
    return `${id.size} ${id.mtimeNs}`;
  }

  /** The cached hash (of this kind; default: the kind for its size) of the file with this identity, or null. */
  get(id: FileIdentity, kind: HashKind = hashKindFor(id.size)): string | null {
    const key = HashCache.key(id);
    const stamp = HashCache.stamp(id);
    const m = this.memo.get(key);
    if (m !== undefined && m.startsWith(stamp + ' ')) {
      const hash = m.slice(stamp.length + 1);
      if (hashKindOf(hash) === kind) return hash;
    }
    if (this.dir === null) return null;
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.dir, key), 'utf8');
    } catch {
      return null;
    }
    // "v1 SIZE MTIME HASH PATH"
    const f = text.split('\n', 1)[0]!.split(' ');
    if (f.length < 4 || f[0] !== 'v1' || `${f[1]} ${f[2]}` !== stamp || !HASH_RE.test(f[3]!) || hashKindOf(f[3]!) !== kind) return null;
    this.memo.set(key, `${stamp} ${f[3]}`);
    return f[3]!;
  }

  /** Remembers the hash of the file with this identity, last seen at `file`. */
  put(id: FileIdentity, hash: string, file: string): void {
    const key = HashCache.key(id);
    const stamp = HashCache.stamp(id);
    if (this.memo.get(key) === `${stamp} ${hash}`) return;
    this.memo.set(key, `${stamp} ${hash}`);
    if (this.dir === null) return;
    const dst = path.join(this.dir, key);
    const tmp = `${dst}.tmp-${process.pid}`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, `v1 ${stamp} ${hash} ${file.replace(/\n/g, '')}\n`);
      fs.renameSync(tmp, dst);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // a cache that cannot be written is no cache
      }
      return;
    }
    if (++this.stores % 64 === 1) this.prune();
  }

  /** The hash of `file`, whose identity is `id` (taken before reading it), from the cache or by reading it. */
  hashOf(file: string, id: FileIdentity, kind: HashKind = hashKindFor(id.size)): { hash: string; cached: boolean } {
    const hit = this.get(id, kind);
    if (hit !== null) return { hash: hit, cached: true };
    const hash = hashFile(file, kind);
    this.put(id, hash, file);
    return { hash, cached: false };
  }

  /**
   * Drops entries whose file no longer exists under the path it was seen at, once there are many;
   * at most once per PRUNE_EVERY_MS (one stat when it is not due).
   */
  private prune(): void {
    if (this.dir === null) return;
    const stamp = path.join(this.dir, PRUNE_STAMP);
    const last = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs;
    if (last !== undefined && Date.now() - last < PRUNE_EVERY_MS) return;
    let names: string[];
    try {
      fs.writeFileSync(stamp, '');
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    if (names.length <= PRUNE_ABOVE) return;
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = path.join(this.dir, name);
      try {
        if (name.includes('.tmp-')) {
          if (Date.now() - fs.statSync(p).mtimeMs > 3600_000) fs.rmSync(p, { force: true });
          continue;
        }
        const line = fs.readFileSync(p, 'utf8').split('\n', 1)[0]!;
        const file = line.split(' ').slice(4).join(' ');
        const st = fs.statSync(file, { bigint: true });
        if (`${st.dev}-${st.ino}` !== name) fs.rmSync(p, { force: true });
      } catch {
        try {
          fs.rmSync(p, { force: true });
        } catch {
          // leave it
        }
      }
    }
  }
}

/** The identity of a stat result. */
export function identityOf(st: fs.BigIntStats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
}
