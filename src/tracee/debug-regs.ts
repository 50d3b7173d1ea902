// Traced-process model: the x86 debug registers of one traced thread (hardware breakpoints and
// watchpoints), through PTRACE_PEEKUSER/POKEUSER on struct user's u_debugreg[8].
//
// DR0-DR3 hold the addresses of the four slots, DR6 says which slot fired (bits 0-3) and whether
// the trap was a single step (BS, bit 14), DR7 enables the slots (L0-L3 = bits 0, 2, 4, 6) and
// gives each its condition (R/W at bit 16 + 4·slot) and length (LEN at bit 18 + 4·slot).
//
// The kernel backs each slot with a perf hardware-breakpoint event and validates DR7 against the
// address registers (alignment, user-space address): so an address is written before the slot is
// enabled, and a slot is disabled in DR7 before its address changes. Debug registers are per thread;
// a caller that wants a watchpoint in a whole process applies the same slots to every thread.
//
// Stops: a write/access watchpoint traps after the instruction that touched the memory (rip is the
// next instruction); an exec breakpoint traps before the instruction runs (rip is its address) and
// the kernel sets RF, so resuming runs the instruction instead of trapping again. Both arrive as a
// SIGTRAP signal-delivery stop (si_code TRAP_HWBKPT); the kernel starts DR6 afresh at every debug
// trap, keeping only the step bit and the slots that fired.
import { PTRACE_POKEUSER, USER_DEBUGREG_OFFSET } from '../kernel/ptrace.js';
import { native } from '../native/addon.js';
import { TraceeError } from './errors.js';
import type { Task } from './task.js';

/** What a slot traps on: executing the address, writing it, or reading or writing it (x86 has no read-only). */
export type HwKind = 'exec' | 'write' | 'access';
/** Bytes a slot covers; an exec breakpoint covers 1. */
export type HwLen = 1 | 2 | 4 | 8;

/** Number of hardware slots (DR0-DR3). */
export const HW_SLOTS = 4;

/** DR6 bit 14: the trap was a single step (trap flag). */
const DR6_BS = 1n << 14n;
const DR7_RW: Record<HwKind, bigint> = { exec: 0n, write: 1n, access: 3n };
const DR7_LEN: Record<HwLen, bigint> = { 1: 0n, 2: 1n, 4: 3n, 8: 2n };
/** The L/G enable pair, R/W and LEN fields of one slot. */
const slotMask = (slot: number): bigint => (3n << BigInt(slot * 2)) | (0xfn << BigInt(16 + slot * 4));

const drOffset = (n: number): number => USER_DEBUGREG_OFFSET + n * 8;

/** Reads debug register n (0-3, 6, 7) of the task. */
export function readDebugReg(task: Task, n: number): bigint {
  const r = native.peekUser(task.tid, drOffset(n));
  if (typeof r === 'number') throw new TraceeError(`cannot read DR${n} of task ${task.tid} (errno ${-r})`, -r);
  return r;
}

/** Writes debug register n (0-3, 6, 7) of the task; the kernel refuses values it cannot install. */
export function writeDebugReg(task: Task, n: number, value: bigint): void {
  const r = native.ptrace(PTRACE_POKEUSER, task.tid, drOffset(n), value);
  if (r < 0) {
    throw new TraceeError(`cannot set DR${n} of task ${task.tid} to 0x${value.toString(16)} (errno ${-r})`, -r);
  }
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= HW_SLOTS) {
    throw new RangeError(`hardware slot ${slot} does not exist (x86 has slots 0-${HW_SLOTS - 1})`);
  }
}

/** Throws a RangeError unless (addr, len, kind) is something one debug register can watch. */
export function checkHwRange(addr: bigint, len: number, kind: HwKind): void {
  if (!(len in DR7_LEN)) throw new RangeError(`hardware ${kind} length ${len} is not 1, 2, 4 or 8`);
  if (kind === 'exec' && len !== 1) throw new RangeError(`a hardware exec breakpoint has length 1, not ${len}`);
  if (addr < 0n || addr >= 1n << 64n) throw new RangeError(`address 0x${addr.toString(16)} is not a 64-bit address`);
  if (addr % BigInt(len) !== 0n) {
    throw new RangeError(`address 0x${addr.toString(16)} is not aligned to the ${len}-byte hardware ${kind} length`);
  }
}

/**
 * Arms slot (0-3) of the task: trap on kind at [addr, addr+len). Validates alignment first (addr must be a
 * multiple of len; exec takes len 1) and throws a RangeError naming the problem; the kernel's refusal (a
 * kernel address, say) is a TraceeError. Replaces whatever the slot held.
 */
export function setSlot(task: Task, slot: number, addr: bigint, len: HwLen, kind: HwKind): void {
  checkSlot(slot);
  checkHwRange(addr, len, kind);
  const dr7 = readDebugReg(task, 7);
  const others = dr7 & ~slotMask(slot);
  // Disable the slot before its address changes, then set the address, then enable it with its condition.
  if (others !== dr7) writeDebugReg(task, 7, others);
  writeDebugReg(task, slot, addr);
  const s = BigInt(slot);
  const fields = (1n << (s * 2n)) | (DR7_RW[kind] << (16n + s * 4n)) | (DR7_LEN[len] << (18n + s * 4n));
  writeDebugReg(task, 7, others | fields);
}

/** Disarms slot (0-3) of the task (and zeroes its address). Clearing an unused slot is harmless. */
export function clearSlot(task: Task, slot: number): void {
  checkSlot(slot);
  const dr7 = readDebugReg(task, 7);
  const others = dr7 & ~slotMask(slot);
  if (others !== dr7) writeDebugReg(task, 7, others);
  writeDebugReg(task, slot, 0n);
}

export interface HwSlotState {
  slot: number;
  addr: bigint;
  len: HwLen;
  kind: HwKind;
}

/** The armed slots of the task, as DR7 and DR0-3 describe them (R/W = 2, I/O, is reported as not armed). */
export function readSlots(task: Task): HwSlotState[] {
  const dr7 = readDebugReg(task, 7);
  const out: HwSlotState[] = [];
  for (let slot = 0; slot < HW_SLOTS; slot++) {
    const s = BigInt(slot);
    if (((dr7 >> (s * 2n)) & 3n) === 0n) continue;
    const rw = (dr7 >> (16n + s * 4n)) & 3n;
    const lenBits = (dr7 >> (18n + s * 4n)) & 3n;
    const kind = (Object.keys(DR7_RW) as HwKind[]).find((k) => DR7_RW[k] === rw);
    const len = ([1, 2, 4, 8] as HwLen[]).find((l) => DR7_LEN[l] === lenBits)!;
    if (kind === undefined) continue;
    out.push({ slot, addr: readDebugReg(task, slot), len, kind });
  }
  return out;
}

export interface HwStatus {
  /** Slots whose condition was met (DR6 B0-B3), ascending. */
  slots: number[];
  /** The trap was a single step (DR6 BS). */
  singleStep: boolean;
}

/** Decodes a DR6 value. */
export function decodeDr6(dr6: bigint): HwStatus {
  const slots: number[] = [];
  for (let i = 0; i < HW_SLOTS; i++) if ((dr6 >> BigInt(i)) & 1n) slots.push(i);
  return { slots, singleStep: (dr6 & DR6_BS) !== 0n };
}

/** Why the task's last debug trap happened (DR6): which slots fired, whether it was a single step. */
export function readStatus(task: Task): HwStatus {
  return decodeDr6(readDebugReg(task, 6));
}

/** Clears DR6, so a later readStatus reports only what happens after this. */
export function clearStatus(task: Task): void {
  writeDebugReg(task, 6, 0n);
}
