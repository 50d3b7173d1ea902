// rewind's cache of facts about this machine and its files ($XDG_CACHE_HOME/rewind, by default
// ~/.cache/rewind): the capability probes and the CPUID table (per boot), the patch sites and function
// tables of a file and its C library's version (per file identity). Each entry is a small file written
// whole; a cache that cannot be read or written is only slower, never an error. (The file content
// hashes keep a cache of their own: content-hash.ts.)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The cache directory, or a directory inside it. */
export function userCacheDir(...sub: string[]): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'rewind', ...sub);
}

/**
 * Writes a cache entry whole: its directory made, a temporary file renamed over it, so a reader never
 * sees half of one. False when it cannot be written (a read-only home).
 */
export function writeCacheFile(path: string, data: string | Uint8Array): boolean {
  const tmp = `${path}.${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return true;
  } catch {
    return false;
  }
}
