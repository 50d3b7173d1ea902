// Test helper: a compiled test program under ptrace without recording — launched through
// rewind-launcher (so every syscall is a seccomp stop), run from stop to stop by PTRACE_CONT.
import { R } from '../../src/kernel/regs.js';
import { applyInsnResult, decodeTrappedInsn, executeInsn } from '../../src/tracee/insn.js';
import { launch, waitStop } from '../../src/tracee/spawn.js';
import { describeStop, type Stop } from '../../src/tracee/stop.js';
import type { Task } from '../../src/tracee/task.js';

const SIGTRAP = 5;
const SIGKILL = 9;
const SIGSEGV = 11;

/** Starts path (argv[0] = path) stopped at its execve's seccomp stop; no CPU pinning, no core files. */
export function startTraced(path: string, args: string[] = []): Task {
  return launch({ path, argv: [path, ...args], envp: ['PATH=/usr/bin:/bin', 'LC_ALL=C'], cpu: -1, noCore: true });
}

/**
 * Resumes the task (delivering sig) and runs through syscall (seccomp) and ptrace-event stops to the next
 * signal-delivery stop or the end. rdtsc/rdtscp/cpuid that trap (the launcher sets PR_SET_TSC) are executed
 * for the task. Returns the stop; its signal is not delivered unless a later call passes it.
 */
export function runToSignal(task: Task, sig = 0): Stop {
  task.cont(sig);
  for (;;) {
    const s = waitStop(task.tid);
    if (s.kind === 'signal' && s.signal === SIGSEGV && emulateTrappedInsn(task)) {
      task.cont();
      continue;
    }
    if (s.kind === 'signal' || s.kind === 'exited' || s.kind === 'killed') return s;
    task.cont();
  }
}

function emulateTrappedInsn(task: Task): boolean {
  const regs = task.fetchRegs();
  const d = decodeTrappedInsn(task, regs[R.rip]!);
  if (!d) return false;
  applyInsnResult(regs, d.insn, executeInsn(d.insn, regs[R.rax]!, regs[R.rcx]!));
  task.storeRegs();
  return true;
}

/** runToSignal expecting a SIGTRAP stop; throws with what happened instead. */
export function runToTrap(task: Task): void {
  const s = runToSignal(task);
  if (s.kind !== 'signal' || s.signal !== SIGTRAP) throw new Error(`expected a SIGTRAP stop, got ${describeStop(s)}`);
}

/** Kills the task's process (if still there) and reaps it. */
export function killTraced(task: Task): void {
  try {
    task.signal(SIGKILL);
  } catch {
    return; // already gone
  }
  for (;;) {
    let s: Stop;
    try {
      s = waitStop(task.tid);
    } catch {
      return;
    }
    if (s.kind === 'exited' || s.kind === 'killed') return;
  }
}
