// Code patcher: the patchable sites of one file, from the per-file cache or found by decoding it.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { findSites, type FileSite } from './decoder.js';
import { functionRanges } from './elf-code.js';
import { cachedSites, storeSites, type FileIdentity } from './site-cache.js';

/** Statistics for `rewind doctor`-style reports and the benchmark: files decoded and the time spent. */
export const siteStats = { decodedFiles: 0, decodeMs: 0, cachedFiles: 0 };

/** The rdtsc/rdtscp/cpuid sites of the file at path (any ELF64 x86-64 file; none for anything else). */
export function sitesOfFile(path: string, id: FileIdentity): FileSite[] {
  const cached = cachedSites(id);
  if (cached) {
    siteStats.cachedFiles++;
    return cached;
  }
  const t0 = performance.now();
  let file: Buffer;
  try {
    if (!isElf(path)) return []; // not read further: it may be a huge file mapped executable
    file = readFileSync(path);
  } catch {
    return []; // unreadable: nothing is patched there (replay's register checks catch what that misses)
  }
  const sites = findSites(file, functionRanges(file));
  siteStats.decodedFiles++;
  siteStats.decodeMs += performance.now() - t0;
  storeSites(id, sites);
  return sites;
}

/** Whether the file starts with the ELF magic (read: 4 bytes). */
function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = new Uint8Array(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46;
  } finally {
    closeSync(fd);
  }
}
