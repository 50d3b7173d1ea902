// Code patcher: the patchable sites of one file, from the per-file cache or found by decoding it.
import { readFileSync } from 'node:fs';
import { findSites, type FileSite } from './decoder.js';
import { functionRanges, isElfFile } from './elf-code.js';
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
    if (!isElfFile(path)) return []; // not read further: it may be a huge file mapped executable
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
