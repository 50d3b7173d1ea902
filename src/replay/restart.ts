// Replay: a syscall the kernel restarted by itself. A call interrupted by a signal that another thread
// of its process took first (a process-directed signal wakes one thread, a sibling dequeues it) ends
// with a restart code and no handler runs: the kernel then restarts it on the way out (rip back onto
// the `syscall` instruction; rax = the same number, or restart_syscall after ERESTART_RESTARTBLOCK).
// Replay skips an emulated call at its entry, where the kernel does none of that, so replay does it.
// The same holds for a fork/vfork/clone that failed with -ERESTARTNOINTR before creating anything (a
// PTRACE_INTERRUPT of the recorder's was pending when it began) and ran again.
import { ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS } from '../kernel/errno.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';

/** Whether result (as a syscall returns it) is one of the kernel's restart codes. */
export function isRestartCode(result: bigint): boolean {
  const r = Number(-result);
  return r === ERESTARTSYS || r === ERESTARTNOINTR || r === ERESTARTNOHAND || r === ERESTART_RESTARTBLOCK;
}

/**
 * Registers (at a skipped syscall's entry, rip after the instruction) as the kernel leaves them when it
 * restarts syscall nr that ended with result and delivered no signal.
 */
export function restartedRegs(regs: BigUint64Array, nr: number, result: bigint): void {
  regs[R.rax] = BigInt(Number(-result) === ERESTART_RESTARTBLOCK ? SYS.restart_syscall : nr);
  regs[R.rip] = regs[R.rip]! - 2n;
}
