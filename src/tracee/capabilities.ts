// Traced-process model: which hardware traps really work on this machine, proved by build/rewind-probe
// (native/probe.c) in throw-away children, and which path rewind takes for each. A VM may accept a
// setting and never deliver the trap, so nothing is taken from a return code or /proc/cpuinfo alone.
// Results are cached per boot and CPU model under the user's cache directory; REWIND_SOFTWARE forces
// software paths (`all`, or a comma list of `tsc`, `cpuid`, `debugregs`) so they are tested everywhere.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../native/package-root.js';
import { userCacheDir, writeCacheFile } from '../trace/user-cache.js';

export const CAPABILITIES = ['rdtsc-trap', 'cpuid-fault', 'debug-registers', 'single-step', 'perf-context-switches'] as const;
export type Capability = typeof CAPABILITIES[number];

/** What the probe found. */
export interface ProbeResult {
  works: boolean;
  detail: string;
  /**
   * cpuid-fault and rdtsc-trap: the microseconds the trap adds to a switch from a task without it to
   * one with it and back (the kernel flips it at each: an MSR write for CPUID faulting, a CR4 bit for
   * the TSC trap, which some hypervisors trap), as at every ptrace stop.
   */
  costUs?: number;
}

/**
 * A trap that adds more than this to every ptrace stop (about 4 µs without it on the VMs measured;
 * CPUID faulting added 17 µs on one) is left unused: patching the instructions costs nothing per stop.
 */
export const SLOW_TRAP_US = 5;

/** Whether a working trap costs so much per ptrace stop that the software path is taken instead. */
function tooSlow(r: ProbeResult): boolean {
  return r.costUs !== undefined && r.costUs > SLOW_TRAP_US;
}

/** What `rewind doctor` shows for a capability. */
export interface CapabilityReport extends ProbeResult {
  /** The path rewind takes. */
  using: string;
  /** Set when REWIND_SOFTWARE made rewind ignore a working trap. */
  forced?: boolean;
}

/** Software paths REWIND_SOFTWARE can force. */
export const SOFTWARE_PATHS = ['tsc', 'cpuid', 'debugregs'] as const;
export type SoftwarePath = typeof SOFTWARE_PATHS[number];

const PATH_OF: Partial<Record<Capability, SoftwarePath>> = {
  'rdtsc-trap': 'tsc', 'cpuid-fault': 'cpuid', 'debug-registers': 'debugregs',
};

const USING: Record<Capability, [hardware: string, software: string]> = {
  'rdtsc-trap': ['kernel trap (PR_SET_TSC)', 'patching rdtsc/rdtscp in the program\'s code'],
  'cpuid-fault': ['kernel trap (CPUID faulting)', 'patching cpuid in the program\'s code (in the libraries, with the syscall buffer: answered in the program)'],
  'debug-registers': ['debug registers (4 slots)', 'software watchpoints by page protection (any number; hbreak is an int3)'],
  'single-step': ['PTRACE_SINGLESTEP', 'none: stepping and reverse stepping in the debugger fail'],
  // rr descheds a buffered call that blocks with this event; rewind's buffer takes a call that may block
  // only after an untraced check in the program says it will not (native/syscallbuf/syscallbuf.c).
  'perf-context-switches': [
    'available, not used: calls that may block are buffered only after an in-program check says they will not',
    'not needed: calls that may block are buffered only after an in-program check says they will not',
  ],
};

/** The software paths REWIND_SOFTWARE forces (throws a usage message on an unknown word). */
export function forcedSoftware(env: string | undefined = process.env['REWIND_SOFTWARE']): Set<SoftwarePath> {
  const out = new Set<SoftwarePath>();
  for (const word of (env ?? '').split(',').map((w) => w.trim()).filter((w) => w !== '')) {
    if (word === 'all') SOFTWARE_PATHS.forEach((p) => out.add(p));
    else if ((SOFTWARE_PATHS as readonly string[]).includes(word)) out.add(word as SoftwarePath);
    else throw new Error(`REWIND_SOFTWARE: unknown path '${word}' (use all, or a comma list of ${SOFTWARE_PATHS.join(', ')})`);
  }
  return out;
}


/**
 * What the cached results are valid for: this boot, this CPU model and this probe binary (by its
 * identity: device, inode, size, modification time; a rebuild is a new file). The cache file is named
 * by a short hash of it and holds it in full, so a name collision is a miss, never a wrong answer.
 */
function cacheKey(probePath: string): string {
  const st = statSync(probePath, { bigint: true, throwIfNoEntry: false });
  const probe = st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}` : 'missing';
  return `${bootAndCpu()}\n${probe}`;
}

let bootCpu: string | null = null;
/** This boot and CPU model, what per-boot caches of the machine's facts are keyed by. */
export function bootAndCpu(): string {
  if (bootCpu !== null) return bootCpu;
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const model = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name')) ?? '';
  return (bootCpu = `${boot}\n${model}`);
}

/** FNV-1a, 64 bits, of a string's UTF-16 units, as 16 hex digits: names a cache file. */
export function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

interface CacheEntry {
  key: string;
  results: Record<Capability, ProbeResult>;
}

function runProbe(probePath: string): Record<Capability, ProbeResult> {
  // node:child_process is loaded only here, on a cache miss: it costs milliseconds at every start.
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  let text: string;
  try {
    text = execFileSync(probePath, [], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    throw new Error(`cannot run the capability probe ${probePath} (${(e as Error).message.split('\n')[0]}); run npm install`);
  }
  const found = new Map<string, ProbeResult>();
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const o = JSON.parse(line) as { name: string; works: boolean; detail: string; costUs?: number };
    found.set(o.name, { works: o.works === true, detail: String(o.detail), ...(typeof o.costUs === 'number' && { costUs: o.costUs }) });
  }
  const out = {} as Record<Capability, ProbeResult>;
  for (const c of CAPABILITIES) out[c] = found.get(c) ?? { works: false, detail: 'the probe gave no answer' };
  return out;
}

let probed: Record<Capability, ProbeResult> | null = null;

/** The probe results, from the per-boot cache or by running the probe (about 15 ms). */
export function probeResults(): Record<Capability, ProbeResult> {
  if (probed) return probed;
  const probePath = join(packageRoot, 'build', 'rewind-probe');
  const key = cacheKey(probePath);
  const file = userCacheDir(`capabilities-${fnv1a64(key)}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheEntry>;
    const results = cached.results;
    if (cached.key === key && results && CAPABILITIES.every((c) => typeof results[c]?.works === 'boolean')) return (probed = results);
  } catch { /* no cache yet, or unreadable: probe */ }
  probed = runProbe(probePath);
  const entry: CacheEntry = { key, results: probed };
  writeCacheFile(file, JSON.stringify(entry)); // unwritten: probed again next time
  return probed;
}

/** Each capability: whether it works and the path rewind takes (REWIND_SOFTWARE applied). */
export function capabilityReport(): Record<Capability, CapabilityReport> {
  const found = probeResults();
  const forced = forcedSoftware();
  const out = {} as Record<Capability, CapabilityReport>;
  for (const c of CAPABILITIES) {
    const path = PATH_OF[c];
    const force = path !== undefined && forced.has(path) && found[c].works;
    const slow = !force && found[c].works && tooSlow(found[c]);
    const hardware = found[c].works && !force && !slow;
    const using = USING[c][hardware ? 0 : 1] + (slow ? ` (the kernel trap works but adds ${found[c].costUs!.toFixed(1)} µs to every ptrace stop here)` : '');
    out[c] = { ...found[c], using, ...(force && { forced: true }) };
  }
  return out;
}

/** Whether rewind uses the kernel's trap for this (it works, costs little and is not forced to software). */
export function useHardware(c: 'rdtsc-trap' | 'cpuid-fault' | 'debug-registers'): boolean {
  const r = probeResults()[c];
  return r.works && !tooSlow(r) && !forcedSoftware().has(PATH_OF[c]!);
}
