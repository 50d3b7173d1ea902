// Code patcher: cpuid answered in the program. Where the syscall buffer is mapped, a cpuid site becomes
// a jump to a stub of its own in the buffer's stub area (stub-area.ts) instead of a trap: the stub runs
// the instructions the jump displaced (relocated by x86-length.ts: a rip-relative operand or a branch
// keeps its target) and, in the cpuid's place, calls the buffer's sb_cpuid (native/syscallbuf/cpuid.S),
// which answers from the recording's table (src/tracee/cpuid-table.ts) and traps to the tracer only for
// a question the table does not hold. A trap costs two ptrace stops (~35 µs); ld.so alone runs cpuid
// 68 times in every process.
//
// The jump takes 5 bytes and cpuid 2, so the site is a window: the cpuid with instructions before or
// after it, found in a function decoded whole (decoder.ts) where no branch lands inside the window past
// its first byte. The branches counted are the direct ones and the entries of the jump tables the
// function may index (a switch: rel32 entries at a rip-relative table, as position-independent code
// has them, or 8-byte addresses at an absolute one). A cpuid with no such window stays a trap site.
import type { PatchSite } from '../trace/events.js';
import { TrappedInsn } from '../trace/events.js';
import { TraceeError } from '../tracee/errors.js';
import type { TaskMemory } from '../tracee/page-batch.js';
import { addressOfOffset, loadSegments, offsetOfAddress, type Range } from './elf-code.js';
import { branchBytes, jumpBytes, JMP_LENGTH, LEA_DOWN, LEA_UP, sameBytes, stubAfter, stubFits, writeStubNext } from './stub-area.js';
import { decodeRun, Flow, Kind, relocate, type Insn } from './x86-length.js';

const CPUID = [0x0f, 0xa2];
/** Instructions looked at on each side of the cpuid for a window. */
const MAX_AROUND = 3;
/** Entries read from a jump table at most. */
const MAX_TABLE_ENTRIES = 4096;

function isCpuid(bytes: Uint8Array, i: Insn, base = 0): boolean {
  return i.length === 2 && bytes[i.at - base] === CPUID[0] && bytes[i.at - base + 1] === CPUID[1];
}

/**
 * An instruction a window may displace besides its cpuid: one that moves (relocate) and is no other
 * patch site (`isSite`: the finder's rdtsc, rdtscp and cpuid; syscalls are excluded by kind).
 */
function movable(file: Uint8Array, i: Insn, isSite: (i: Insn) => boolean): boolean {
  if (i.kind !== Kind.Other && i.kind !== Kind.Nop) return false;
  if (i.flow !== Flow.Next && i.flow !== Flow.Jump && i.flow !== Flow.Conditional) return false;
  return !isSite(i) && relocate(file, 0, i, i.at) !== null;
}

/**
 * The window for the cpuid all[k] of a function decoded whole: [start, start + length) in file
 * offsets, the fewest instructions around it that reach a jump's length, no branch target inside
 * past its start, only the last instruction a branch, none a patch site (`isSite`). Null when there is none.
 */
export function cpuidWindow(file: Uint8Array, all: readonly Insn[], k: number, targets: ReadonlySet<number>,
  isSite: (i: Insn) => boolean): { start: number; length: number } | null {
  for (let n = 2; n <= 2 * MAX_AROUND + 1; n++) {
    // Instructions after the cpuid first: they are most often plain moves of its results.
    for (let i = k; i > k - n && i >= 0; i--) {
      const j = i + n - 1;
      if (j >= all.length || j < k) continue;
      let length = 0;
      let ok = true;
      for (let m = i; m <= j && ok; m++) {
        const x = all[m]!;
        length += x.length;
        if (m > i && targets.has(x.at)) ok = false;
        else if (m !== k && (!movable(file, x, isSite) || (m < j && x.flow !== Flow.Next))) ok = false;
      }
      if (ok && length >= JMP_LENGTH) return { start: all[i]!.at, length };
    }
  }
  return null;
}

/**
 * Where branches of a function decoded whole (all, in file offsets) may land: direct targets, and
 * when it has an indirect jump, the entries of the jump tables its instructions refer to that land
 * inside it (more than the real ones is harmless: fewer windows).
 */
export function branchTargets(file: Uint8Array, fn: Range, all: readonly Insn[]): Set<number> {
  const targets = new Set<number>();
  for (const i of all) if (i.target >= 0) targets.add(i.target);
  if (!all.some((i) => i.flow === Flow.IndirectJump)) return targets;
  const segments = loadSegments(file);
  const fnAddr = addressOfOffset(segments, fn.start);
  if (fnAddr < 0) return targets;
  const inside = (addr: number): number => {
    const off = addr - fnAddr + fn.start;
    return off >= fn.start && off < fn.end ? off : -1;
  };
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (const i of all) {
    if (i.ripDisp >= 0) {
      // A position-independent table: 32-bit offsets from the table's own address.
      const table = fnAddr + (i.at - fn.start) + i.length + dv.getInt32(i.at + i.ripDisp, true);
      const at = offsetOfAddress(segments, table);
      for (let e = 0; at >= 0 && e < MAX_TABLE_ENTRIES && at + 4 * e + 4 <= file.length; e++) {
        const off = inside(table + dv.getInt32(at + 4 * e, true));
        if (off < 0) break;
        targets.add(off);
      }
    }
    const abs = absoluteTable(file, i);
    if (abs !== null) {
      // An absolute table (code linked at a fixed address): 8-byte addresses.
      const at = offsetOfAddress(segments, abs);
      for (let e = 0; at >= 0 && e < MAX_TABLE_ENTRIES && at + 8 * e + 8 <= file.length; e++) {
        const v = dv.getBigUint64(at + 8 * e, true);
        const off = v < 2n ** 53n ? inside(Number(v)) : -1;
        if (off < 0) break;
        targets.add(off);
      }
    }
  }
  return targets;
}

/**
 * The absolute address of `jmp *disp32(,%reg,8)` or `mov disp32(,%reg,8),%reg` (a switch in code
 * that is not position-independent), or null.
 */
function absoluteTable(file: Uint8Array, i: Insn): number | null {
  const op = file[i.opAt + i.at]!;
  if (op !== 0xff && op !== 0x8b) return null;
  const modrm = file[i.at + i.opAt + 1]!;
  const sib = file[i.at + i.opAt + 2]!;
  if (i.opAt + 7 > i.length || (modrm & 0xc7) !== 0x04 || (sib & 0x07) !== 0x05) return null;
  if (op === 0xff && ((modrm >> 3) & 7) !== 4) return null;
  return new DataView(file.buffer, file.byteOffset).getInt32(i.at + i.opAt + 3, true) >>> 0;
}

// ---- stubs -------------------------------------------------------------------------------------

/**
 * The stub of a window at addr (its original bytes) placed at stub: the displaced instructions, the
 * call of sb_cpuid (at `cpuid`) in the cpuid's place with the red zone stepped over, the jump back.
 * Null when the bytes are not a window (no cpuid, something that does not move) or out of reach.
 */
export function cpuidStubBytes(addr: bigint, original: Uint8Array, stub: bigint, cpuid: bigint): Uint8Array | null {
  const base = Number(addr);
  const insns = decodeRun(original, base, base, base + original.length);
  if (!insns || insns.filter((i) => isCpuid(original, i, base)).length !== 1) return null;
  const out: number[] = [];
  for (const i of insns) {
    const here = stub + BigInt(out.length);
    if (isCpuid(original, i, base)) {
      const call = branchBytes(0xe8, here + BigInt(LEA_DOWN.length), cpuid);
      if (call === null) return null;
      out.push(...LEA_DOWN, ...call, ...LEA_UP);
      continue;
    }
    const moved = relocate(original, base, i, Number(here));
    if (!moved) return null;
    out.push(...moved);
  }
  const back = branchBytes(0xe9, stub + BigInt(out.length), addr + BigInt(original.length));
  if (back === null) return null;
  out.push(...back);
  return new Uint8Array(out);
}

/** The stub and the jump of a window, by its address (every process of a recording patches ld.so's 37 at the same places). */
const windowCodes = new Map<bigint, { original: Uint8Array; stub: bigint; cpuid: bigint; code: { stub: Uint8Array; jump: Uint8Array } | null }>();

function windowCode(addr: bigint, original: Uint8Array, stub: bigint, cpuid: bigint): { stub: Uint8Array; jump: Uint8Array } | null {
  const known = windowCodes.get(addr);
  if (known && known.stub === stub && known.cpuid === cpuid && sameBytes(known.original, original)) return known.code;
  const s = cpuidStubBytes(addr, original, stub, cpuid);
  const j = jumpBytes(addr, original.length, stub);
  const code = s && j ? { stub: s, jump: j } : null;
  windowCodes.set(addr, { original: original.slice(), stub, cpuid, code });
  return code;
}

/**
 * Patches the window at addr (length bytes, read through task, its cpuid at cpuidAt) with a stub at
 * `next`; the process is stopped. Returns the site and the stub area's next free byte, or null when
 * the bytes there are no such window (the program changed them) or its stub does not fit or reach.
 */
export function patchCpuidWindow(task: TaskMemory, addr: bigint, length: number, cpuidAt: bigint, next: bigint, cpuid: bigint): { site: PatchSite; next: bigint } | null {
  const original = task.readPartial(addr, length);
  const at = Number(cpuidAt - addr);
  if (original.length !== length || original[at] !== CPUID[0] || original[at + 1] !== CPUID[1]) return null;
  const code = windowCode(addr, original, next, cpuid);
  if (!code || !stubFits(next, code.stub.length)) return null;
  task.write(next, code.stub);
  task.write(addr, code.jump);
  return { site: { addr, insn: TrappedInsn.CpuidCall, stub: next, original: original.slice() }, next: stubAfter(next, code.stub.length) };
}

/** Replay: applies a recorded cpuid window (same stub address, same bytes); the code must be the recorded code. */
export function applyCpuidWindow(task: TaskMemory, site: PatchSite, cpuid: bigint): void {
  const original = site.original!;
  const now = task.readPartial(site.addr, original.length);
  if (!sameBytes(now, original)) throw new TraceeError(`the code at 0x${site.addr.toString(16)} is not the cpuid site the recording patched there`);
  const code = windowCode(site.addr, original, site.stub!, cpuid);
  if (!code) throw new TraceeError(`the cpuid site at 0x${site.addr.toString(16)} cannot be rebuilt at its recorded stub`);
  task.write(site.stub!, code.stub);
  task.write(site.addr, code.jump);
  writeStubNext(task, stubAfter(site.stub!, code.stub.length));
}
