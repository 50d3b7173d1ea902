// Syscall buffer: the calls a program cannot make while the buffer is in its process, refused at their
// entry with one line. The recorder asks only when the buffer is on.
import { ARCH_SET_GS } from '../kernel/ptrace.js';
import { SYS } from '../kernel/syscall-names.js';

const SET_GS = BigInt(ARCH_SET_GS);

/** At a syscall's entry, with the buffer on: the whole message recording stops with, or null. */
export function syscallbufRefusal(nr: number, args: readonly bigint[]): string | null {
  // The buffer finds each thread's buffer through GS; a program that sets GS itself is not supported yet.
  if (nr === SYS.arch_prctl && args[0] === SET_GS) {
    return 'unsupported arch_prctl(ARCH_SET_GS) with the syscall buffer (record with --no-syscall-buffer)';
  }
  return null;
}
