// Code patcher: where the instruction a thread ran before reaching pc may be, for the debugger's reverse
// step. Without a branch counter, that instruction is found by re-executing from an earlier point and
// single-stepping to pc; the nearer the point, the fewer the steps. The last pass of pc itself before
// the stop (a loop's previous turn) is one such point, but straight-line code passes pc once, and the
// stepping would start at the last event: in a run of buffered system calls, a million instructions
// back. So the debugger also looks for the last pass of the instructions that can come just before pc:
// the one that falls through to it, the direct jumps of pc's function that land on it, and at a
// function's first instruction, the call the return address at [rsp] follows. When the instruction
// before pc is one of those, its last pass is exactly it; when not (an indirect jump), that pass is
// still earlier than the stop, and stepping from there gets there too.
//
// Each address is an instruction's start decoded from its function's start (a breakpoint goes there),
// in the program's own bytes (`original`), and only where they are what memory holds (no breakpoint
// in code rewind patched).
import { R } from '../kernel/regs.js';
import { readMaps, type Mapping } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import { decodeRange, functionAt, loadIced, type IcedInstruction } from './function-code.js';

const FLOW_NEXT = 0;
const FLOW_CONDITIONAL = 3;
const FLOW_CALL = 5;
const FLOW_INDIRECT_CALL = 6;

/**
 * Instruction addresses whose last pass before a stop at `regs` (rip, rsp) is the nearest place to
 * step from; pc itself not included. `original` puts the program's own bytes back into bytes read
 * from memory at an address (the debugger's view of patched code).
 */
export function predecessorsOf(task: Task, regs: BigUint64Array, original: (addr: bigint, data: Uint8Array) => Uint8Array): bigint[] {
  const pc = regs[R.rip]!;
  const maps = readMaps(task.tid);
  const out: bigint[] = [];
  const here = decodeFunction(task, maps, pc, original);
  let entry = here === null;
  if (here) {
    const { all, start, unchanged } = here;
    try {
      entry = pc === start;
      const i = all.findIndex((ins) => ins.ip === pc);
      const prev = all[i - 1];
      if (i > 0 && prev && [FLOW_NEXT, FLOW_CONDITIONAL, FLOW_CALL, FLOW_INDIRECT_CALL].includes(prev.flowControl)) out.push(prev.ip);
      for (const ins of all) {
        if ((ins.isJccShortOrNear || ins.isJmpShortOrNear) && ins.nearBranchTarget === pc) out.push(ins.ip);
      }
      return [...out, ...(entry ? callSite(task, maps, regs, original) : [])].filter((a) => unchanged(a) ?? true);
    } finally {
      for (const ins of all) ins.free();
    }
  }
  return entry ? callSite(task, maps, regs, original) : out;
}

/** At a function's first instruction: the call instruction the return address at [rsp] follows. */
function callSite(task: Task, maps: Mapping[], regs: BigUint64Array, original: (addr: bigint, data: Uint8Array) => Uint8Array): bigint[] {
  let ret: bigint;
  try {
    ret = task.readU64(regs[R.rsp]!);
  } catch {
    return [];
  }
  const caller = decodeFunction(task, maps, ret, original);
  if (!caller) return [];
  try {
    const call = caller.all.find((ins) => ins.ip + BigInt(ins.length) === ret);
    const isCall = call && (call.flowControl === FLOW_CALL || call.flowControl === FLOW_INDIRECT_CALL);
    return isCall && caller.unchanged(call.ip) ? [call.ip] : [];
  } finally {
    for (const ins of caller.all) ins.free();
  }
}

/**
 * The instructions of the function holding addr in a file mapping, decoded from the program's own
 * bytes, and whether an instruction's bytes in memory are those (not patched by rewind).
 */
function decodeFunction(task: Task, maps: Mapping[], addr: bigint, original: (addr: bigint, data: Uint8Array) => Uint8Array):
  { start: bigint; all: IcedInstruction[]; unchanged: (ip: bigint) => boolean | undefined } | null {
  const m = maps.find((x) => x.start <= addr && addr < x.end);
  if (!m || m.perms[2] !== 'x' || !m.name.startsWith('/')) return null;
  const fn = functionAt(task, m, addr);
  if (!fn) return null;
  const length = Number(fn.end - fn.start);
  const memory = task.readPartial(fn.start, length);
  if (memory.length !== length) return null;
  const own = original(fn.start, memory.slice());
  const all = decodeRange(loadIced(), own, fn.start, fn.start, fn.end);
  const unchanged = (ip: bigint) => {
    const ins = all.find((i) => i.ip === ip);
    if (!ins) return undefined;
    const at = Number(ip - fn.start);
    for (let k = at; k < at + ins.length; k++) if (own[k] !== memory[k]) return false;
    return true;
  };
  return { start: fn.start, all, unchanged };
}
