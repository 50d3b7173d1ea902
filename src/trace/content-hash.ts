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

/** The hash the trace's file index records (the field name in files.index). */
export const HASH_NAME = 'sha256';

/** The identity a cached hash is valid for: a write to the file changes its mtime (or size). */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

const READ_CHUNK = 1024 * 1024;

/** SHA-256 of a file's content as lowercase hex, read 1 MiB at a time. */
export function hashFile(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
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

  /** The cached hash of the file with this identity, or null. */
  get(id: FileIdentity): string | null {
    const key = HashCache.key(id);
    const stamp = HashCache.stamp(id);
    const m = this.memo.get(key);
    if (m !== undefined && m.startsWith(stamp + ' ')) return m.slice(stamp.length + 1);
    if (this.dir === null) return null;
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.dir, key), 'utf8');
    } catch {
      return null;
    }
    // "v1 SIZE MTIME HASH PATH"
    const f = text.split('\n', 1)[0]!.split(' ');
    if (f.length < 4 || f[0] !== 'v1' || `${f[1]} ${f[2]}` !== stamp || !/^[0-9a-f]{64}$/.test(f[3]!)) return null;
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
  hashOf(file: string, id: FileIdentity): { hash: string; cached: boolean } {
    const hit = this.get(id);
    if (hit !== null) return { hash: hit, cached: true };
    const hash = hashFile(file);
    this.put(id, hash, file);
    return { hash, cached: false };
  }

  /** Drops entries whose file no longer exists under the path it was seen at, once there are many. */
  private prune(): void {
    if (this.dir === null) return;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    if (names.length <= PRUNE_ABOVE) return;
    for (const name of names) {
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
