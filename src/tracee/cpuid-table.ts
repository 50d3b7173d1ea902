// Traced-process model: the table of CPUID answers the in-process CPUID reads (native/syscallbuf/
// cpuid.S, called by patched cpuid sites). Built once per recording from the answers the tracer gives
// a trapped cpuid (insn.ts: masked, pinned to the recording's CPU), kept in the trace (meta.json's
// `cpuidTable`, format 12 on) and written into every process with a syscall buffer, at record and at
// replay alike, so a patched site answers the same everywhere. A question the table does not hold
// (a leaf past the CPU's last, a subleaf past the ones listed) traps to the tracer as before.
//
// Which leaves take a subleaf (ECX) is the SDM's and the APM's list; for any other leaf the answer to
// subleaf 0 stands for all, after a check that subleaf 1 gives the same (a leaf that differs is listed
// subleaf by subleaf, 0 to 3). Building it asks ~170 questions, ~12 µs each in a VM (an exit to the
// hypervisor): the table is kept per boot, CPU and mask (cachedCpuidTable).
import { readFileSync } from 'node:fs';
import { formatCpuidEntry, parseCpuidEntry, type CpuidEntry } from '../trace/cpuid-entries.js';
import { TrappedInsn } from '../trace/events.js';
import { userCacheDir, writeCacheFile } from '../trace/user-cache.js';
import { bootAndCpu, fnv1a64 } from './capabilities.js';
import { executeInsn } from './insn.js';

/** Bump when the table's making or the answers' masking (insn.ts) change: cached tables are then made again. */
const TABLE_VERSION = 1;

/** Room for the table in every process (CPUID_TABLE_SIZE): a 16-byte header and 32-byte entries. */
export const MAX_CPUID_ENTRIES = 255;
const HEADER = 16;
const ENTRY = 32;

const BASIC_LIMIT = 0x40;
const EXTENDED = 0x80000000;
const EXTENDED_LIMIT = 0x80000040;
const MAX_SUBLEAVES = 16;

/** How a subleaf leaf's subleaves are enumerated. */
const enum Subleaves {
  /** Until EAX[4:0] (the cache type) is 0: leaves 4 and 0x8000001D. */
  CacheType,
  /** Until ECX[15:8] (the level type) is 0: leaves 0xB, 0x1F, 0x80000026. */
  LevelType,
  /** 0 to subleaf 0's EAX. */
  MaxInEax,
  /**
   * XSAVE components (leaf 0xD): 0 to 31 (ld.so asks for components the CPU lacks too), and the
   * state bits from 32 up that subleaves 0 and 1 report.
   */
  Xsave,
  /** 0 to 3. */
  Few,
}

const SUBLEAF_LEAVES = new Map<number, Subleaves>([
  [0x4, Subleaves.CacheType], [0x7, Subleaves.MaxInEax], [0xb, Subleaves.LevelType], [0xd, Subleaves.Xsave],
  [0xf, Subleaves.Few], [0x10, Subleaves.Few], [0x12, Subleaves.Few], [0x14, Subleaves.MaxInEax],
  [0x17, Subleaves.MaxInEax], [0x18, Subleaves.MaxInEax], [0x1b, Subleaves.Few], [0x1d, Subleaves.MaxInEax],
  [0x1e, Subleaves.Few], [0x1f, Subleaves.LevelType], [0x20, Subleaves.MaxInEax], [0x23, Subleaves.MaxInEax],
  [0x24, Subleaves.MaxInEax], [0x8000001d, Subleaves.CacheType], [0x80000020, Subleaves.Few], [0x80000026, Subleaves.LevelType],
]);

type Ask = (leaf: number, sub: number) => [number, number, number, number];

/** The answers the tracer gives a trapped cpuid (`portable`: masked to the baseline), as numbers. */
function tracerAnswers(portable: boolean): Ask {
  return (leaf, sub) => {
    const r = executeInsn(TrappedInsn.Cpuid, BigInt(leaf), BigInt(sub), portable).map(Number);
    return [r[0]!, r[1]!, r[2]!, r[3]!];
  };
}

/** The table for a recording on this machine (the tracer pinned to the recording's CPU). */
export function buildCpuidTable(portable: boolean, ask: Ask = tracerAnswers(portable)): CpuidEntry[] {
  const out: CpuidEntry[] = [];
  const leaves = (first: number, limit: number): void => {
    const last = Math.min(ask(first, 0)[0] >>> 0, limit - 1);
    for (let leaf = first; leaf <= last && leaf >= first; leaf++) addLeaf(out, ask, leaf);
  };
  leaves(0, BASIC_LIMIT);
  leaves(EXTENDED, EXTENDED_LIMIT);
  return out.slice(0, MAX_CPUID_ENTRIES);
}

/**
 * buildCpuidTable's table for the tracer's CPU (pinned: `cpu`), from this boot's cache when it has
 * one (else built and kept there; a cache that cannot be written is only slower).
 */
export function cachedCpuidTable(cpu: number, portable: boolean): CpuidEntry[] {
  const ask = tracerAnswers(portable);
  const key = `cpuid-table ${TABLE_VERSION}\n${bootAndCpu()}\ncpu ${cpu}\n${portable ? 'portable' : 'native'}`;
  const file = userCacheDir(`cpuid-${fnv1a64(key)}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; table?: unknown };
    if (cached.key === key && Array.isArray(cached.table)) {
      const table = cached.table.map((e) => (typeof e === 'string' ? parseCpuidEntry(e) : null));
      if (table.length > 0 && table.every((e) => e !== null) && leafOneHolds(table as CpuidEntry[], ask)) return table as CpuidEntry[];
    }
  } catch { /* not cached yet, or unreadable: build it */ }
  const table = buildCpuidTable(portable, ask);
  writeCacheFile(file, JSON.stringify({ key, table: table.map(formatCpuidEntry) }));
  return table;
}

/**
 * Whether a kept table still gives this CPU's leaf 1. Its EBX[31:24] is the APIC id, and some
 * hypervisors hand the program the id of the host CPU the virtual one runs on at the moment (seen on
 * an AMD VM: CPU 0 answered 0x8b, then 0xb2, then 0x2f within an hour of one boot), so a table kept
 * earlier in the boot would answer otherwise than a trapped cpuid now: it is made again.
 */
function leafOneHolds(table: CpuidEntry[], ask: Ask): boolean {
  const kept = table.find((e) => e.leaf === 1 && (e.sub === null || e.sub === 0));
  if (kept === undefined) return false;
  const now = ask(1, 0);
  return kept.out.every((v, i) => (v >>> 0) === (now[i]! >>> 0));
}

function addLeaf(out: CpuidEntry[], ask: Ask, leaf: number): void {
  const kind = SUBLEAF_LEAVES.get(leaf);
  const first = ask(leaf, 0);
  if (kind === undefined) {
    const second = ask(leaf, 1);
    if (first.every((v, i) => v === second[i])) {
      out.push({ leaf, sub: null, out: first });
      return;
    }
  }
  for (const sub of subleaves(ask, leaf, kind ?? Subleaves.Few, first)) out.push({ leaf, sub, out: sub === 0 ? first : ask(leaf, sub) });
}

function subleaves(ask: Ask, leaf: number, kind: Subleaves, first: [number, number, number, number]): number[] {
  switch (kind) {
    case Subleaves.CacheType:
    case Subleaves.LevelType: {
      const subs: number[] = [];
      for (let sub = 0; sub < MAX_SUBLEAVES; sub++) {
        subs.push(sub);
        const r = sub === 0 ? first : ask(leaf, sub);
        if ((kind === Subleaves.CacheType ? r[0] & 0x1f : (r[2] >>> 8) & 0xff) === 0) break;
      }
      return subs;
    }
    case Subleaves.MaxInEax:
      return range(Math.min(first[0] >>> 0, MAX_SUBLEAVES - 1) + 1);
    case Subleaves.Xsave: {
      const hi = (first[3] | ask(leaf, 1)[3]) >>> 0;
      const subs = range(32);
      for (let bit = 32; bit < 64; bit++) if ((hi >>> (bit & 31)) & 1) subs.push(bit);
      return subs;
    }
    case Subleaves.Few:
      return range(4);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The table as the process holds it (at CPUID_TABLE). */
export function cpuidTableBytes(entries: readonly CpuidEntry[]): Uint8Array {
  const n = Math.min(entries.length, MAX_CPUID_ENTRIES);
  const b = new Uint8Array(HEADER + ENTRY * n);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, n, true);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const at = HEADER + ENTRY * i;
    dv.setUint32(at, e.leaf >>> 0, true);
    dv.setUint32(at + 4, (e.sub ?? 0) >>> 0, true);
    dv.setUint32(at + 8, e.sub === null ? 0 : 1, true);
    e.out.forEach((v, k) => dv.setUint32(at + 12 + 4 * k, v >>> 0, true));
  }
  return b;
}
