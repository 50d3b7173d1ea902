// Irregular syscalls: pselect6(2), ppoll(2), epoll_pwait(2) and epoll_pwait2, which wait under a
// temporary signal mask. Recording needs nothing of its own (the table records them); replay skips
// them at their entry, and when a recorded signal interrupted one, it must be delivered under that
// mask with the program's own mask saved in the signal frame, as the kernel did: the skipped call is
// turned into rt_sigsuspend on the mask. A home of the syscall layer: imports no engine.
import { R, SYSCALL_ARG_REGS } from '../kernel/regs.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import type { SyscallEvent } from '../trace/events.js';
import { waitStop } from '../tracee/spawn.js';
import { describeStop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';

/** The temporary signal mask a waiting syscall installs (a pointer to a sigset_t), or 0. */
function temporaryMask(task: Task, ev: SyscallEvent): bigint {
  const a = SYSCALL_ARG_REGS.map((r) => ev.regs[r]!);
  switch (ev.nr) {
    case SYS.pselect6: return a[5] === 0n ? 0n : task.readU64(a[5]!); // its 6th argument points at { sigset_t *, size }
    case SYS.ppoll: return a[3]!;
    case SYS.epoll_pwait:
    case SYS.epoll_pwait2: return a[4]!;
    default: return 0n;
  }
}

// ---- replay --------------------------------------------------------------------------------------

/**
 * At the seccomp stop of a call replay skipped (`call`), which the recorded signal signo interrupted:
 * when the call waits under a temporary mask, the signal is queued and the call runs as rt_sigsuspend
 * on that mask to its exit stop, and true is returned. False (nothing done) for any other call.
 */
export function interruptUnderMask(task: Task, call: SyscallEvent, signo: number, diverge: (message: string) => Error): boolean {
  const mask = temporaryMask(task, call);
  if (mask === 0n) return false;
  task.signal(signo);
  const regs = call.regs.slice();
  regs[R.orig_rax] = BigInt(SYS.rt_sigsuspend);
  regs[R.rdi] = mask;
  regs[R.rsi] = 8n;
  task.storeRegs(regs);
  task.toSyscallExit();
  const s = waitStop(task.tid);
  if (s.kind !== 'syscall') throw diverge(`${syscallName(call.nr)}: expected its exit, got ${describeStop(s)}`);
  return true;
}
