// Code patcher: finds rdtsc, rdtscp and cpuid instructions in a file's functions with an x86 decoder
// (x86-length.ts; only when a file is not in the site cache). A byte search alone is wrong: 0f 31 also
// occurs inside other instructions (an immediate, a displacement). The byte search only picks which
// functions to decode, from their start to their end (or to bytes that are no instruction: data); a
// site is an instruction the decoder starts exactly there. A cpuid in a function decoded whole also
// gets the window around it a jump to the in-process CPUID may replace (cpuid-sites.ts), if it has one.
import { TrappedInsn } from '../trace/events.js';
import { branchTargets, cpuidWindow } from './cpuid-sites.js';
import { functionsHolding, type Range } from './elf-code.js';
import { decodePrefix, type Insn } from './x86-length.js';

/** A trapping instruction at a file offset. */
export interface FileSite {
  offset: number;
  insn: TrappedInsn;
  /** A cpuid's window: the bytes [start, start + length) a jump to its stub may replace. */
  window?: { start: number; length: number };
}

/** The bytes of each instruction rewind patches. */
export const INSN_BYTES: Record<TrappedInsn, readonly number[]> = {
  [TrappedInsn.Rdtsc]: [0x0f, 0x31],
  [TrappedInsn.Rdtscp]: [0x0f, 0x01, 0xf9],
  [TrappedInsn.Cpuid]: [0x0f, 0xa2],
  [TrappedInsn.Syscall]: [0x0f, 0x05],
  [TrappedInsn.CpuidCall]: [0x0f, 0xa2],
};

/** Offsets in file where the bytes of a patchable instruction start (candidates, not yet decoded). */
function candidates(file: Uint8Array): number[] {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const out: number[] = [];
  for (let at = buf.indexOf(0x0f); at >= 0 && at + 1 < buf.length; at = buf.indexOf(0x0f, at + 1)) {
    const b = buf[at + 1];
    if (b === 0x31 || b === 0xa2 || (b === 0x01 && buf[at + 2] === 0xf9)) out.push(at);
  }
  return out;
}

/**
 * The rdtsc, rdtscp and cpuid instructions inside functions (sorted file-offset ranges, possibly
 * overlapping). A candidate counts when decoding any function that holds it, from that function's
 * start, lands on an instruction beginning at it.
 */
export function findSites(file: Uint8Array, functions: readonly Range[]): FileSite[] {
  const hits = candidates(file);
  if (hits.length === 0) return [];
  const toDecode = functionsHolding(functions, hits);
  if (toDecode.size === 0) return [];
  const found = new Map<number, FileSite>();
  for (const f of toDecode) {
    // Up to the first bytes that are no instruction (data in a function): nothing after them is sure.
    const all = decodePrefix(file, 0, f.start, f.end);
    const last = all[all.length - 1];
    const whole = last !== undefined && last.at + last.length === f.end;
    let targets: Set<number> | null = null;
    all.forEach((i, k) => {
      const insn = trappedAt(file, i);
      if (insn === null) return;
      const site: FileSite = { offset: i.at, insn };
      if (insn === TrappedInsn.Cpuid && whole) {
        targets ??= branchTargets(file, f, all);
        const w = cpuidWindow(file, all, k, targets, (x) => trappedAt(file, x) !== null);
        if (w) site.window = w;
      }
      // A function listed twice (symbol and unwind table) or nested in another gives the same site.
      if (!found.get(i.at)?.window) found.set(i.at, site);
    });
  }
  return [...found.values()].sort((a, b) => a.offset - b.offset);
}

/** The trapped instruction the decoded one is, exactly its usual bytes (no prefixes, so the patch and its undoing are exact), or null. */
function trappedAt(file: Uint8Array, i: Insn): TrappedInsn | null {
  for (const insn of [TrappedInsn.Rdtsc, TrappedInsn.Rdtscp, TrappedInsn.Cpuid]) {
    const bytes = INSN_BYTES[insn];
    if (i.length === bytes.length && bytes.every((b, k) => file[i.at + k] === b)) return insn;
  }
  return null;
}
