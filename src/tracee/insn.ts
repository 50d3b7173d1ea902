// Traced-process model: the instructions rewind traps (rdtsc, rdtscp, cpuid) and what they return.
// RDTSC traps through PR_SET_TSC(PR_TSC_SIGSEGV); CPUID through CPUID faulting (arch_prctl ARCH_SET_CPUID).
// Both arrive as SIGSEGV with si_code SI_KERNEL at the instruction.
import { TrappedInsn } from '../trace/events.js';
import { R } from '../kernel/regs.js';
import { native } from '../native/addon.js';
import { maskToBaseline } from './cpuid-baseline.js';
import type { Task } from './task.js';

export interface DecodedInsn {
  insn: TrappedInsn;
  length: number;
}

/** Which trapped instruction sits at rip, if any (the kernel trapped it: the instruction is there). */
export function decodeTrappedInsn(task: Task, rip: bigint): DecodedInsn | null {
  const b = task.readPartial(rip, 3);
  if (b.length >= 2 && b[0] === 0x0f && b[1] === 0x31) return { insn: TrappedInsn.Rdtsc, length: 2 };
  if (b.length >= 2 && b[0] === 0x0f && b[1] === 0xa2) return { insn: TrappedInsn.Cpuid, length: 2 };
  if (b.length >= 3 && b[0] === 0x0f && b[1] === 0x01 && b[2] === 0xf9) return { insn: TrappedInsn.Rdtscp, length: 3 };
  return null;
}

export function insnLength(insn: TrappedInsn): number {
  return insn === TrappedInsn.Rdtscp ? 3 : 2;
}

const cpuidOut = new Uint32Array(4);
const auxOut = new Uint32Array(1);
/**
 * CPUID's answers by leaf and subleaf: the same for every program of a recording (the tracer runs on
 * the one CPU it pinned them all to, whose APIC id leaves 1, 0xB and 0x1F report), and a CPUID costs
 * ~10 µs in a VM (an exit to the hypervisor): ld.so alone asks 68 times per process.
 */
const cpuidAnswers = new Map<string, bigint[]>();

/**
 * Executes the instruction for the tracee, in the tracer. CPUID results hide features whose use
 * would be nondeterministic or unreplayable: RDRAND, RDSEED, RTM/HLE (transactions), and rseq-like
 * hints are not CPUID features, so only those bits change. With `portable`, CPUID also answers with
 * a baseline CPU (src/tracee/cpuid-baseline.ts), so libraries pick code any x86-64-v3 CPU can replay.
 */
export function executeInsn(insn: TrappedInsn, eax: bigint, ecx: bigint, portable = false): bigint[] {
  if (insn === TrappedInsn.Rdtsc) {
    const t = native.rdtsc();
    return [t & 0xffffffffn, t >> 32n];
  }
  if (insn === TrappedInsn.Rdtscp) {
    const t = native.rdtscp(auxOut);
    return [t & 0xffffffffn, t >> 32n, BigInt(auxOut[0]!)];
  }
  const leaf = Number(eax & 0xffffffffn);
  const sub = Number(ecx & 0xffffffffn);
  const key = `${leaf}:${sub}:${portable ? 1 : 0}`;
  const known = cpuidAnswers.get(key);
  if (known) return known.slice();
  native.cpuid(leaf, sub, cpuidOut);
  if (leaf === 1) cpuidOut[2] = cpuidOut[2]! & ~(1 << 30); // ECX.RDRAND
  if (leaf === 7 && sub === 0) {
    // EBX: HLE (4), RTM (11), RDSEED (18). EDX: RTM_ALWAYS_ABORT (11), TSXLDTRK (16).
    cpuidOut[1] = cpuidOut[1]! & ~((1 << 4) | (1 << 11) | (1 << 18));
    cpuidOut[3] = cpuidOut[3]! & ~((1 << 11) | (1 << 16));
  }
  if (portable) maskToBaseline(leaf, sub, cpuidOut);
  const answer = [BigInt(cpuidOut[0]!), BigInt(cpuidOut[1]!), BigInt(cpuidOut[2]!), BigInt(cpuidOut[3]!)];
  cpuidAnswers.set(key, answer);
  return answer.slice();
}

/** Puts an emulated instruction's results in the registers and steps over it. */
export function applyInsnResult(regs: BigUint64Array, insn: TrappedInsn, out: readonly bigint[]): void {
  const order = insn === TrappedInsn.Cpuid ? [R.rax, R.rbx, R.rcx, R.rdx]
    : insn === TrappedInsn.Rdtscp ? [R.rax, R.rdx, R.rcx] : [R.rax, R.rdx];
  order.forEach((reg, i) => { regs[reg] = out[i] ?? 0n; });
  regs[R.rip] = regs[R.rip]! + BigInt(insnLength(insn));
}
