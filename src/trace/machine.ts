// Trace layer: what the recording machine was (meta.json "machine"): CPU vendor, family, model, stepping,
// name and feature flags (/proc/cpuinfo, as the kernel enabled them), kernel version, C library. And the
// decision replay makes from it: which CPU features the recording machine had that this one lacks and
// that programs pick code paths by (glibc's ifuncs, OpenSSL, numpy…) — a replay may diverge there.
import * as fs from 'node:fs';
import { release, version } from 'node:os';
import { userCacheDir, writeCacheFile } from './user-cache.js';

export interface CpuFacts {
  /** vendor_id, e.g. GenuineIntel, AuthenticAMD. */
  vendor: string;
  /** "model name". */
  name: string;
  family: number | null;
  model: number | null;
  stepping: number | null;
  /** The "flags" line: the features the kernel reports (and enabled). */
  flags: string[];
}

export interface MachineFacts {
  cpu: CpuFacts;
  /** Kernel release (uname -r) and version (uname -v). */
  kernelRelease: string;
  kernelVersion: string;
  /** The C library of the machine, e.g. "glibc 2.36 (Debian GLIBC 2.36-9+deb12u14)", or null if unknown. */
  libc: string | null;
}

/** The first processor's facts from the text of /proc/cpuinfo. */
export function parseCpuinfo(text: string): CpuFacts {
  const first = text.split(/\n\s*\n/, 1)[0] ?? '';
  const fields = new Map<string, string>();
  for (const l of first.split('\n')) {
    const at = l.indexOf(':');
    if (at > 0) fields.set(l.slice(0, at).trim(), l.slice(at + 1).trim());
  }
  const int = (k: string): number | null => {
    const v = fields.get(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    vendor: fields.get('vendor_id') ?? '',
    name: fields.get('model name') ?? '',
    family: int('cpu family'),
    model: int('model'),
    stepping: int('stepping'),
    flags: (fields.get('flags') ?? '').split(/\s+/).filter((f) => f !== ''),
  };
}

let here: MachineFacts | null = null;
let cpuHere: CpuFacts | null = null;

/** This machine's CPU (read once): all replay needs to compare with the recording machine's. */
export function thisCpu(): CpuFacts {
  if (cpuHere) return cpuHere;
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // no /proc: empty facts
  }
  return (cpuHere = parseCpuinfo(cpuinfo));
}

/** This machine's facts (read once). */
export function thisMachine(): MachineFacts {
  here ??= { cpu: thisCpu(), kernelRelease: release(), kernelVersion: version(), libc: libcVersion() };
  return here;
}

/**
 * The C library rewind itself runs on (node is linked to the system's): its banner ("GNU C Library
 * (Debian GLIBC 2.36-9) stable release version 2.36.") read from the file /proc/self/maps shows, else
 * the version node reports. Finding the banner reads the whole library (2 MB, some milliseconds), so
 * what it gave is cached per library file identity under $XDG_CACHE_HOME/rewind (~/.cache/rewind).
 */
function libcVersion(): string | null {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const file = /\s(\/\S*\/libc(?:\.so\.6|-[\d.]+\.so))$/m.exec(maps)?.[1];
    if (file) {
      const st = fs.statSync(file, { bigint: true });
      const cache = userCacheDir(`libc-${st.dev}-${st.ino}-${st.size}-${st.mtimeNs}.txt`);
      try {
        const cached = fs.readFileSync(cache, 'latin1');
        if (cached.startsWith('glibc ')) return cached;
      } catch { /* not cached yet */ }
      const data = fs.readFileSync(file);
      const at = data.indexOf('GNU C Library');
      if (at >= 0) {
        const end = data.indexOf(0, at);
        const banner = data.subarray(at, end < 0 ? at + 200 : Math.min(end, at + 200)).toString('latin1');
        const m = /^GNU C Library \(([^)]*)\) [\w ]*?version (\d+\.\d+(?:\.\d+)?)/.exec(banner);
        if (m) {
          const found = `glibc ${m[2]} (${m[1]})`;
          writeCacheFile(cache, Buffer.from(found, 'latin1')); // unwritten: the library is read again next time
          return found;
        }
      }
    }
  } catch {
    // fall through
  }
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : null;
}

/**
 * CPU features (names as in /proc/cpuinfo) that change which instructions programs and libraries run:
 * glibc's string functions and libm, OpenSSL, compilers' function multiversioning test them.
 */
const MATTERING = new Set([
  'sse3', 'pni', 'ssse3', 'sse4_1', 'sse4_2', 'sse4a', 'popcnt', 'abm', 'lzcnt', 'bmi1', 'bmi2', 'adx',
  'avx', 'avx2', 'fma', 'fma4', 'f16c', 'movbe', 'aes', 'pclmulqdq', 'vaes', 'vpclmulqdq', 'gfni', 'sha_ni',
  'rdrand', 'rdseed', 'xsave', 'xsaveopt', 'xsavec', 'xsaves', 'erms', 'fsrm', 'rtm', 'hle', 'cx16',
  'clflushopt', 'clwb', 'avx_vnni', 'avx_vnni_int8', 'avx_ifma', 'avx_ne_convert', 'movdiri', 'movdir64b',
  'serialize', 'waitpkg', 'sha512', 'sm3', 'sm4',
]);

function matters(flag: string): boolean {
  return MATTERING.has(flag) || flag.startsWith('avx512') || flag.startsWith('amx');
}

/**
 * The features of `rewind record --cpu-features=portable`'s x86-64-v3 baseline (src/tracee/cpuid-baseline.ts)
 * that matter, by their /proc/cpuinfo names: a portable recording showed the program no others.
 */
const PORTABLE = new Set([
  'pni', 'sse3', 'ssse3', 'sse4_1', 'sse4_2', 'fma', 'cx16', 'movbe', 'popcnt', 'xsave', 'avx', 'f16c', 'aes',
  'pclmulqdq', 'bmi1', 'avx2', 'bmi2', 'erms', 'abm', 'lzcnt',
]);

/**
 * The features that matter (see MATTERING) which `recorded` has and `current` lacks, sorted; with
 * `portable` (a trace recorded with --cpu-features=portable) only those of the portable baseline.
 */
export function missingCpuFeatures(recorded: readonly string[], current: readonly string[], portable = false): string[] {
  const have = new Set(current);
  return [...new Set(recorded)].filter((f) => matters(f) && !have.has(f) && (!portable || PORTABLE.has(f))).sort();
}
