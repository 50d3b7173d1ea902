// Code patcher: the sites found in each file, cached on disk by the file's identity (device, inode,
// size, modification time) and the finder's version, so a second run of a program decodes nothing.
// Under $XDG_CACHE_HOME/rewind/sites (default ~/.cache/rewind/sites), one small JSON file per file.
// Also other binary facts of a file kept the same way (cachedBytes, storeBytes): a point trap's
// function table of a file (point-trap.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userCacheDir, writeCacheFile } from '../trace/user-cache.js';
import type { FileSite } from './decoder.js';

/** Bump when the way sites are found changes, so old cache entries are not used. */
const FINDER_VERSION = 2;

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

function cacheDir(): string {
  return userCacheDir('sites');
}

/** The entry's file is named by the identity itself (no hash: nothing to load for it at start-up). */
function entryPath(id: FileIdentity): string {
  return join(cacheDir(), `v${FINDER_VERSION}-${id.dev}-${id.ino}-${id.size}-${id.mtimeNs}.json`);
}

const memory = new Map<string, FileSite[]>();

/** The cached sites of a file, or null. */
export function cachedSites(id: FileIdentity): FileSite[] | null {
  const path = entryPath(id);
  const hit = memory.get(path);
  if (hit) return hit;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const valid = (s: unknown): boolean => Array.isArray(s) && (s.length === 2 || s.length === 4) && s.every((v) => Number.isInteger(v) && v >= 0)
      && [0, 1, 2].includes(s[1]);
    if (!Array.isArray(raw) || !raw.every(valid)) return null;
    const sites = (raw as number[][]).map(([offset, insn, start, length]): FileSite => ({
      offset: offset!, insn: insn!, ...(start !== undefined && { window: { start, length: length! } }),
    }));
    memory.set(path, sites);
    return sites;
  } catch {
    return null;
  }
}

/** Remembers a file's sites (a cache that cannot be written is only slower). */
export function storeSites(id: FileIdentity, sites: FileSite[]): void {
  const path = entryPath(id);
  memory.set(path, sites);
  writeCacheFile(path, JSON.stringify(sites.map((s) => (s.window ? [s.offset, s.insn, s.window.start, s.window.length] : [s.offset, s.insn]))));
}


function bytesPath(kind: string, id: FileIdentity): string {
  return join(cacheDir(), `${kind}-${id.dev}-${id.ino}-${id.size}-${id.mtimeNs}.bin`);
}

/** What storeBytes kept for the file under `kind` (which names the format and its version), or null. */
export function cachedBytes(kind: string, id: FileIdentity): Uint8Array | null {
  try {
    return readFileSync(bytesPath(kind, id));
  } catch {
    return null;
  }
}

/** Keeps bytes for the file under `kind` (a cache that cannot be written is only slower). */
export function storeBytes(kind: string, id: FileIdentity, bytes: Uint8Array): void {
  writeCacheFile(bytesPath(kind, id), bytes);
}
