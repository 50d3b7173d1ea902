// Replay debugging: the 4 x86 debug-register slots, shared by watchpoints and hardware breakpoints.
// A watched range is split into aligned pieces of 1, 2, 4 or 8 bytes, one slot each; a hardware
// breakpoint takes one execute slot (R/W = 00, LEN = 00). The same slots are set in every thread of
// the debugged process (debug registers are per thread). x86 has no read-only watchpoint: a read
// watchpoint is an access one.
import { clearSlot, HW_SLOTS, readStatus, setSlot, type HwLen } from '../../tracee/debug-regs.js';
import type { Task } from '../../tracee/task.js';
import type { Watch } from './marks.js';

interface Piece {
  addr: bigint;
  len: HwLen;
  /** The watchpoint this piece is part of; absent for a hardware breakpoint. */
  watch?: Watch;
}

/** The aligned pieces a watched range needs, or null when it is empty. */
export function watchPieces(w: Watch): Piece[] {
  const out: Piece[] = [];
  let addr = w.addr;
  const end = w.addr + BigInt(w.len);
  while (addr < end) {
    let len: HwLen = 8;
    while (len > 1 && (addr % BigInt(len) !== 0n || addr + BigInt(len) > end)) len = (len / 2) as HwLen;
    out.push({ addr, len, watch: w });
    addr += BigInt(len);
  }
  return out;
}

/** How many debug-register slots these watchpoints and hardware breakpoints need together. */
export function slotsNeeded(ws: readonly Watch[], hardwareBreakpoints = 0): number {
  return ws.reduce((n, w) => n + watchPieces(w).length, hardwareBreakpoints);
}

export const SLOT_COUNT = HW_SLOTS;

export class HwSlots {
  private pieces: Piece[] = [];

  /** Sets the slots for these watchpoints and hardware breakpoints (addresses) in every given thread. */
  set(watches: readonly Watch[], breakpoints: readonly bigint[], tasks: readonly Task[]): void {
    const pieces: Piece[] = [...breakpoints.map((addr): Piece => ({ addr, len: 1 })), ...watches.flatMap(watchPieces)];
    if (pieces.length > HW_SLOTS) {
      throw new RangeError(`the watchpoints and hardware breakpoints need ${pieces.length} debug registers; x86 has ${HW_SLOTS}`);
    }
    this.pieces = pieces;
    for (const t of tasks) this.apply(t);
  }

  /** Gives one thread (a new one, or one whose image changed) the current slots. */
  apply(task: Task): void {
    for (let i = 0; i < HW_SLOTS; i++) {
      const p = this.pieces[i];
      if (!p) clearSlot(task, i);
      else if (!p.watch) setSlot(task, i, p.addr, 1, 'exec');
      else setSlot(task, i, p.addr, p.len, p.watch.kind === 'write' ? 'write' : 'access');
    }
  }

  clear(tasks: readonly Task[]): void {
    const had = this.pieces.length > 0;
    this.pieces = [];
    if (had) for (const t of tasks) for (let i = 0; i < HW_SLOTS; i++) clearSlot(t, i);
  }

  /** Which slots fired at this SIGTRAP (none when no slot is set). */
  status(task: Task): { slots: number[]; singleStep: boolean } {
    if (this.pieces.length === 0) return { slots: [], singleStep: false };
    const s = readStatus(task);
    return { slots: s.slots.filter((i) => i < this.pieces.length), singleStep: s.singleStep };
  }

  watchOf(slot: number): Watch | null {
    return this.pieces[slot]?.watch ?? null;
  }

  /** The first slot holding a piece of this watchpoint, or -1. */
  slotOf(w: Watch): number {
    return this.pieces.findIndex((p) => p.watch === w);
  }

  /** The address of the hardware breakpoint in this slot, or null. */
  breakpointOf(slot: number): bigint | null {
    const p = this.pieces[slot];
    return p && !p.watch ? p.addr : null;
  }

}
