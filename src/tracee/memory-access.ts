// Traced-process model: which memory an instruction of a stopped thread reads and writes, from a real
// decoder (iced-x86) and the thread's registers. Software watchpoints use it to tell whether the
// instruction that faulted on a watched page touched the watched bytes themselves (a read watchpoint
// cannot compare values: a read changes nothing).
import { createRequire } from 'node:module';
import { R } from '../kernel/regs.js';
import type { Task } from './task.js';

/** One memory operand: [addr, addr+size), read and/or written. */
export interface MemoryAccess {
  addr: bigint;
  size: number;
  read: boolean;
  write: boolean;
}

interface IcedUsedMemory {
  readonly base: number;
  readonly index: number;
  readonly segment: number;
  readonly scale: number;
  readonly displacement: bigint;
  readonly memorySize: number;
  readonly access: number;
  free(): void;
}
interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => { ip: bigint; decodeOut(i: unknown): void; free(): void };
  Instruction: new () => { readonly length: number; free(): void };
  InstructionInfoFactory: new () => { info(i: unknown): { usedMemory(): IcedUsedMemory[]; free(): void }; free(): void };
  Register: Record<number, string>;
  OpAccess: Record<number, string>;
  MemorySizeExt: { size(m: number): number };
}

let iced: Iced | null = null;
/** One instruction buffer and info factory, reused (each is an allocation in the decoder's WebAssembly memory). */
let reused: { instr: InstanceType<Iced['Instruction']>; factory: InstanceType<Iced['InstructionInfoFactory']> } | null = null;
const load = (): Iced => (iced ??= createRequire(import.meta.url)('iced-x86') as Iced);

/** x86-64 general registers by iced's name (64-bit names; 32-bit ones are their low halves). */
const GPR: Record<string, number> = {
  RAX: R.rax, RCX: R.rcx, RDX: R.rdx, RBX: R.rbx, RSP: R.rsp, RBP: R.rbp, RSI: R.rsi, RDI: R.rdi,
  R8: R.r8, R9: R.r9, R10: R.r10, R11: R.r11, R12: R.r12, R13: R.r13, R14: R.r14, R15: R.r15, RIP: R.rip,
};
const GPR32: Record<string, string> = {
  EAX: 'RAX', ECX: 'RCX', EDX: 'RDX', EBX: 'RBX', ESP: 'RSP', EBP: 'RBP', ESI: 'RSI', EDI: 'RDI',
  R8D: 'R8', R9D: 'R9', R10D: 'R10', R11D: 'R11', R12D: 'R12', R13D: 'R13', R14D: 'R14', R15D: 'R15', EIP: 'RIP',
};

function regValue(name: string, regs: BigUint64Array): bigint | null {
  if (name === 'None') return 0n;
  if (name in GPR) return regs[GPR[name]!]!;
  if (name in GPR32) return regs[GPR[GPR32[name]!]!]! & 0xffffffffn;
  return null; // a vector index (VSIB gathers) or something else: not computed
}

/**
 * The memory operands of the instruction at the task's rip (its registers as last fetched), with their
 * addresses; null when it cannot be decoded or an address cannot be computed (a gather's vector index).
 */
export function memoryAccesses(task: Task, regs: BigUint64Array): MemoryAccess[] | null {
  const rip = regs[R.rip]!;
  const bytes = task.readPartial(rip, 15);
  if (bytes.length === 0) return null;
  const x = load();
  const decoder = new x.Decoder(64, bytes, 0);
  decoder.ip = rip;
  const { instr, factory } = (reused ??= { instr: new x.Instruction(), factory: new x.InstructionInfoFactory() });
  try {
    decoder.decodeOut(instr);
    if (instr.length === 0) return null;
    const info = factory.info(instr);
    const out: MemoryAccess[] = [];
    for (const m of info.usedMemory()) {
      const base = regValue(x.Register[m.base]!, regs);
      const index = regValue(x.Register[m.index]!, regs);
      const seg = x.Register[m.segment];
      const access = x.OpAccess[m.access] ?? '';
      const size = x.MemorySizeExt.size(m.memorySize);
      m.free();
      if (base === null || index === null) return null;
      const segBase = seg === 'FS' ? regs[R.fs_base]! : seg === 'GS' ? regs[R.gs_base]! : 0n;
      const addr = BigInt.asUintN(64, segBase + base + index * BigInt(m.scale) + m.displacement);
      if (access === 'NoMemAccess' || access === 'None') continue;
      out.push({ addr, size: Math.max(size, 1), read: /Read/.test(access), write: /Write/.test(access) });
    }
    info.free();
    return out;
  } catch {
    return null;
  } finally {
    decoder.free();
  }
}
