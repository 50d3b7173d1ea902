// Replay: how the replay loop (replayer.ts) resumes a task and waits for its next stop, with what a
// debugger asks of it on the way — its single steps, its breakpoints stepped over, its watchpoints
// (debug registers, or page protections in software), and the SIGTRAPs that are its own. A debugger
// stop is a value (`DebugStop`) handed back up the loop, never an exception. The hooks themselves are
// implemented in src/replay/debug/ (debug-hooks.ts); this file imports only the layers below and
// replayed-task.ts.
import { X86_EFLAGS_TF } from '../kernel/eflags.js';
import { R } from '../kernel/regs.js';
import { SI_KERNEL, SIG, siginfoCode } from '../kernel/signals.js';
import { isSyscallInsn } from '../kernel/x86-insn.js';
import type { TraceEvent } from '../trace/events.js';
import { waitStop } from '../tracee/spawn.js';
import { describeStop, type Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import type { RTask } from './replayed-task.js';
import { SyscallStepGuard } from './syscall-step-guard.js';

/** Why a debugger stop interrupted the replay loop (see DebugHooks). */
export type DebugTrap =
  | { kind: 'breakpoint'; addr: bigint }
  /** Debug-register slots that fired; `step` when the instruction was also a single step of the debugger's. */
  | { kind: 'watch'; slots: number[]; step: boolean }
  | { kind: 'step' }
  | { kind: 'signal'; signo: number }
  /** The debugged process is about to end (exit_group, or a fatal signal): the end of its history. */
  | { kind: 'end' };

/** A debugger stop of task recTid: the replay loop returns it; the next move continues from there. */
export interface DebugStop {
  readonly trap: DebugTrap;
  readonly recTid: number;
}

export function debugStop(trap: DebugTrap, recTid: number): DebugStop {
  return { trap, recTid };
}

/** Whether a resume ended at a debugger stop rather than a ptrace stop for the replay to handle. */
export function isDebugStop(s: Stop | DebugStop): s is DebugStop {
  return 'trap' in s;
}

/** What a debugger asks of the replay loop; absent when replaying on autopilot. */
export interface DebugHooks {
  /** Whether task recTid runs one instruction at a time now. */
  stepping(recTid: number): boolean;
  /**
   * A SIGTRAP stop the replay did not cause (si_code given): the debugger's breakpoint (rip is moved
   * back onto it), watchpoint or single step, or null when it is the program's own SIGTRAP.
   */
  trap(task: Task, recTid: number, code: number): DebugTrap | null;
  /**
   * Before a task resumes: if it stopped at one of the debugger's breakpoints, execute the instruction
   * under it (breakpoint lifted for one single step). Returns true when it did; when that instruction
   * is `syscall`, the task is run to the syscall's seccomp stop instead, which is returned.
   */
  stepOverBreakpoint(task: Task, recTid: number): boolean | Stop;
  /** A software breakpoint of the debugger's is planted at addr in task's address space. */
  breakpointAt(task: Task, addr: bigint): boolean;
  /**
   * Whether a point of task recTid may be searched with the in-process trap (src/patch/point-trap.ts)
   * that rewrites these code ranges: the thread is not being stepped nor waits at a breakpoint, no
   * watchpoint is armed (a watched access by the moved instructions would trap in the trampoline),
   * and no breakpoint of the debugger's lies in the ranges (its traps elsewhere are reported as the
   * plain search reports them).
   */
  inProcessSearch(task: Task, recTid: number, ranges: readonly { start: bigint; end: bigint }[]): boolean;
  /** A task was run to a recorded point (a preemption) at addr and waits there, its instruction not run. */
  waitsAtPoint(task: Task, recTid: number, addr: bigint): void;
  /** Whether to stop before a signal is delivered to task recTid (it is delivered on resume). */
  reportSignal(recTid: number, signo: number): boolean;
  /** Whether this event ends the debugged process's history (stop there, never run it). */
  isEnd(recTid: number, ev: TraceEvent): boolean;
  /** A task appeared (debug registers are per thread), or an execve replaced an address space. */
  taskAdded(task: Task, recTid: number): void;
  /** A task that was left running (a vfork parent waiting for its child) has stopped. */
  taskStopped(task: Task, recTid: number): void;
  execed(task: Task, recTid: number): void;
  /**
   * Software watchpoints (page-watch.ts). A SIGSEGV stop of the task: when it is a fault on a page the
   * debugger protected, the debugger runs the faulting instruction (one single step) and returns the
   * stop after it (a hit is then reported by trap()); null when the fault is the program's own.
   */
  pageFault?(task: Task, recTid: number): Stop | null;
  /**
   * A syscall event of task recTid was replayed and wrote these ranges of its memory (the recorded
   * outputs, put in place by the replay or by the kernel): the watchpoint they hit, as a trap to
   * report at the syscall's end, or null. Neither the kernel's writes nor process_vm_writev trap.
   */
  syscallWrote?(task: Task, recTid: number, ranges: readonly { addr: bigint; len: number }[]): DebugTrap | null;
  /** The task, at a syscall's entry, is about to run it for real: the kernel must reach every page. */
  kernelRuns?(t: RTask): void;
  /** Task t is about to run its code (resumeAndWait): traps armed where nothing was mapped yet go in now. */
  beforeRun?(t: RTask): void;
  /** The syscall of kernelRuns ran (the task may have ended, or wait in the kernel: a vfork parent). */
  kernelRan?(t: RTask): void;
  /**
   * The task is about to be given signal sig: true when the debugger lifted its page protections for
   * the signal frame; the replay then delivers it by a single step (which stops at the handler) and
   * calls signalDelivered with that stop.
   */
  liftForSignal?(t: RTask, sig: number): boolean;
  signalDelivered?(t: RTask, stop: Stop): void;
}

/** Makes a divergence error (the replayer's, with its recent events). */
export type Diverge = (message: string) => Error;

/** Whether the task's next instruction is `syscall` (0f 05). */
export function atSyscallInstruction(task: Task): boolean {
  const code = task.readPartial(task.fetchRegs()[R.rip]!, 2);
  return isSyscallInsn(code);
}

/** si_code of the SIGTRAP the task stopped with. */
export function trapCode(task: Task): number {
  return siginfoCode(task.siginfo());
}

/**
 * A syscall instruction executed by a single step saves RFLAGS in r11 with the trap flag the step set;
 * the recorded run had none (the kernel hides a ptrace step's TF from eflags, not from r11).
 */
function untraceSyscallFlags(task: Task): void {
  const regs = task.fetchRegs();
  const r11 = (regs[R.r11]! & ~X86_EFLAGS_TF) | (regs[R.eflags]! & X86_EFLAGS_TF);
  if (r11 === regs[R.r11]) return;
  regs[R.r11] = r11;
  task.storeRegs();
}

/** Takes a task waiting at the entry of a skipped (emulated) syscall on to that syscall's exit. */
export function toSkippedExit(t: RTask, diverge: Diverge): void {
  t.task.toSyscallExit();
  const s = waitStop(t.task.tid);
  if (s.kind !== 'syscall') throw diverge(`recorded task ${t.recTid}: expected a syscall exit, got ${describeStop(s)}`);
  t.leaveSkipped();
  t.saw(s);
}

/** A SIGTRAP (si_code `code`) of the debugger's: the stop to report (the task resumes from there), else null. */
export function trapStop(hooks: DebugHooks, t: RTask, code: number): DebugStop | null {
  const trap = hooks.trap(t.task, t.recTid, code);
  if (!trap) return null;
  t.waitToResume();
  return debugStop(trap, t.recTid);
}

/**
 * A task being stepped ran a syscall instruction and its syscall event was just replayed: the step
 * ends here, at the event boundary after it (an emulated syscall sits at its entry, already skipped
 * with its result in place; a later step takes it to the exit first).
 */
export function stepEndsAtSyscall(hooks: DebugHooks | null, t: RTask, ev: TraceEvent): DebugStop | null {
  if (ev.kind !== 'syscall' || t.pendingSig === null || !hooks?.stepping(t.recTid)) return null;
  return debugStop({ kind: 'step' }, t.recTid);
}

/**
 * Resumes the task (with the signal it waits to get; not at all when it runs in the kernel already)
 * and waits for its next stop. Under a debugger, a task being stepped runs one instruction, and a
 * SIGTRAP of the debugger's (not `own`, runToPoint's breakpoint) is returned as a DebugStop.
 */
export function resumeAndWait(t: RTask, hooks: DebugHooks | null, diverge: Diverge, own = -1n): Stop | DebugStop {
  hooks?.beforeRun?.(t);
  const stepping = hooks?.stepping(t.recTid) ?? false;
  if (stepping && t.skipped) {
    // Its emulated syscall is complete as far as the program can tell (the step that ran the syscall
    // instruction ended at its event): take it to the exit, then step the next instruction.
    toSkippedExit(t, diverge);
  }
  // Once resumed it has left the syscall it sat in (a debugger stop may come before the loop sees it).
  const resumeSig = t.takeResume();
  const over = resumeSig === 0 ? hooks?.stepOverBreakpoint(t.task, t.recTid) : false;
  if (typeof over === 'object') {
    // A breakpoint on a syscall instruction: the syscall ran to its seccomp stop.
    t.saw(over);
    return over;
  }
  if (over) {
    if (stepping) {
      t.waitToResume(resumeSig!);
      return debugStop({ kind: 'step' }, t.recTid);
    }
    const st = trapStop(hooks!, t, trapCode(t.task));
    if (st) return st;
    t.run();
  }
  let early: Stop | null = null;
  let guard: SyscallStepGuard | null = null;
  if (resumeSig !== null) {
    let sig = resumeSig;
    if (sig !== 0 && hooks?.liftForSignal?.(t, sig)) {
      // Software watchpoints: the frame is written with the pages unprotected; a single step with the
      // signal stops at the handler's first instruction, where the protections go back.
      t.task.step(sig);
      const first = waitStop(t.task.tid);
      if (first.kind === 'seccomp') untraceSyscallFlags(t.task);
      hooks.signalDelivered?.(t, first);
      sig = 0;
      if (stepping || first.kind !== 'signal' || first.signal !== SIG.SIGTRAP) early = first;
    }
    if (!early) {
      try {
        // A step onto a syscall instruction runs it to its seccomp stop (no trap flag for the syscall
        // to save in r11); the step ends once its event is replayed (stepEndsAtSyscall).
        if (stepping && (sig !== 0 || !atSyscallInstruction(t.task))) t.task.step(sig);
        else {
          if (stepping) guard = SyscallStepGuard.plant(t.task); // in case the program's filter answers it
          t.task.cont(sig);
        }
      } catch {
        // Killed while stopped (another thread's exit_group): its exit is what waitpid reports next.
      }
    }
  }
  let s = early ?? waitStop(t.task.tid);
  t.saw(s);
  if (guard?.lift(t.task, s)) {
    // The program's own seccomp filter answered the syscall: the step ends right after it.
    t.waitToResume();
    return debugStop({ kind: 'step' }, t.recTid);
  }
  // A task left running (a vfork parent) has stopped: the debugger may have changed its slots meanwhile.
  if (resumeSig === null && s.kind !== 'exited' && s.kind !== 'killed') hooks?.taskStopped(t.task, t.recTid);
  if (stepping && s.kind === 'seccomp') untraceSyscallFlags(t.task);
  while (hooks?.pageFault && s.kind === 'signal' && s.signal === SIG.SIGSEGV) {
    // Software watchpoints: a fault on a watched page. The debugger ran the instruction (one step).
    const after = hooks.pageFault(t.task, t.recTid);
    if (!after) break;
    s = after;
    t.saw(s);
    if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) break;
    // A watchpoint hit, or the debugger's step, is reported; otherwise the run goes on.
    const st = trapStop(hooks, t, trapCode(t.task));
    if (st) return st;
    try {
      t.task.cont();
    } catch {
      // Killed meanwhile: its exit is what waitpid reports next.
    }
    s = waitStop(t.task.tid);
    t.saw(s);
  }
  if (hooks && s.kind === 'signal' && s.signal === SIG.SIGTRAP) {
    const code = trapCode(t.task);
    if (own >= 0n && code === SI_KERNEL && t.task.fetchRegs()[R.rip] === own + 1n) return s;
    const st = trapStop(hooks, t, code);
    if (st) return st;
  }
  return s;
}
