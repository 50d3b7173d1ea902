// Replay (debugging): a single step onto a `syscall` instruction runs the task with PTRACE_CONT to the
// syscall's seccomp stop (replayer.ts: a trap flag would end up in r11). A syscall that the program's own
// seccomp filter answers itself (SECCOMP_RET_ERRNO) never stops there, so the task would run on to a
// later stop. A guard int3 right after the instruction ends the step there instead; it is taken out at
// whatever stop comes first (the seccomp stop, a SIGSYS of SECCOMP_RET_TRAP, the guard's own trap).
import { R } from '../kernel/regs.js';
import { SI_KERNEL, SIG, siginfoCode } from '../kernel/signals.js';
import { INT3 } from '../kernel/x86-insn.js';
import { TraceeError } from '../tracee/errors.js';
import type { Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';

export class SyscallStepGuard {
  private constructor(private readonly addr: bigint, private readonly saved: Uint8Array) {}

  /** Plants the guard after the `syscall` instruction at the task's rip; null where that byte cannot be read. */
  static plant(task: Task): SyscallStepGuard | null {
    const addr = task.fetchRegs()[R.rip]! + 2n;
    const saved = task.readPartial(addr, 1);
    if (saved.length !== 1) return null;
    task.write(addr, new Uint8Array([INT3]));
    return new SyscallStepGuard(addr, saved);
  }

  /**
   * Takes the guard out once the task stopped. True when the stop is the guard's own trap: the syscall
   * was answered without rewind, and the task now sits right after it (rip moved back onto the guard).
   */
  lift(task: Task, stop: Stop): boolean {
    if (stop.kind === 'exited' || stop.kind === 'killed') return false; // its memory is gone with it
    try {
      task.write(this.addr, this.saved);
    } catch (e) {
      if (e instanceof TraceeError && e.taskGone) return false;
      throw e;
    }
    if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP || siginfoCode(task.siginfo()) !== SI_KERNEL) return false;
    const regs = task.fetchRegs();
    if (regs[R.rip] !== this.addr + 1n) return false;
    regs[R.rip] = this.addr;
    task.storeRegs();
    return true;
  }
}
