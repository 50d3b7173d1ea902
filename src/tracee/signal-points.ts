// Traced-process model: the points where signals are placed, shared by recording and replay.
import { R } from '../kernel/regs.js';
import { SI_KERNEL, SIG, SYS_SECCOMP } from '../kernel/signals.js';
import type { Task } from './task.js';

/** Skips the syscall at a seccomp stop and points rip back at its instruction, so it runs again later. */
export function rewindSyscallForSignal(task: Task, entry: BigUint64Array): void {
  const regs = entry.slice();
  regs[R.rax] = entry[R.orig_rax]!;
  regs[R.orig_rax] = BigInt.asUintN(64, -1n);
  regs[R.rip] = entry[R.rip]! - 2n;
  task.storeRegs(regs);
}

/**
 * Signals raised by the instruction at rip (faults and traps), as opposed to sent ones. A SIGSYS of a
 * seccomp filter's SECCOMP_RET_TRAP is one too: the program's filter raises it at the same syscall at replay.
 */
export function isSynchronous(signo: number, code: number): boolean {
  if (signo === SIG.SIGSYS) return code === SYS_SECCOMP;
  const faults = [SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGFPE, SIG.SIGTRAP] as number[];
  return faults.includes(signo) && (code > 0 || code === SI_KERNEL);
}

/** Register equality for placing a signal at a syscall exit; orig_rax may legitimately differ. */
export function sameRegs(a: BigUint64Array, b: BigUint64Array): boolean {
  for (let i = 0; i < a.length; i++) if (i !== R.orig_rax && a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether the registers are those the kernel sets for a handler of signal signo it has just set a frame
 * up for, with no instruction run since: rdi = signo, rax = 0, rdx = the ucontext right above the
 * return address at rsp, rsi = the siginfo after it (x86-64 rt_sigframe: pretcode, ucontext, siginfo).
 */
export function atFreshFrame(regs: BigUint64Array, signo: number): boolean {
  const rsp = regs[R.rsp]!;
  return regs[R.rdi] === BigInt(signo) && regs[R.rax] === 0n && regs[R.rdx] === rsp + 8n && regs[R.rsi]! > regs[R.rdx]!;
}
