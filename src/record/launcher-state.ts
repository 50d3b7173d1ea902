// Recording: what rewind's launcher set up in the program's process for recording, answered as the
// program alone would see it. The launcher turns on rdtsc trapping (PR_SET_TSC, PR_TSC_SIGSEGV) where
// the kernel traps; the program never chose that (its own PR_SET_TSC is refused), so PR_GET_TSC reports
// the default, PR_TSC_ENABLE. (The launcher's seccomp filter and no_new_privs: program-seccomp.ts.)
import { PR_GET_TSC, PR_TSC_ENABLE } from '../kernel/prctl.js';
import { E } from '../kernel/errno.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { Task } from '../tracee/task.js';
import type { SchedAnswer } from './sched-emulation.js';

/** The answer to a call that would show the launcher's settings, or null: it runs. */
export function answerLauncherState(task: Task, nr: number, regs: BigUint64Array): SchedAnswer | null {
  if (nr !== SYS.prctl || Number(BigInt.asIntN(32, regs[R.rdi]!)) !== PR_GET_TSC) return null;
  const addr = regs[R.rsi]!;
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, PR_TSC_ENABLE, true);
  try {
    task.write(addr, data);
  } catch {
    return { result: BigInt(-E.EFAULT), writes: [] }; // put_user failed, as the kernel's would
  }
  return { result: 0n, writes: [{ addr, data }] };
}
