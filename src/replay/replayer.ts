// Replay: re-executes a recorded program tree. Syscalls are emulated from the trace (the program gets
// the recorded result and memory; nothing outside is touched) except those that shape the address
// space, the task tree or the kernel's view of a task, which run for real at the recorded addresses.
// Tasks run one at a time and only when their next event is the next event of the trace, so user code
// runs in the recorded order. At every stop the state is checked against the recording; any difference
// stops replay with a report.
import { X86_EFLAGS_RF, X86_EFLAGS_TF } from '../kernel/eflags.js';
import { MAP_FIXED } from '../kernel/mman.js';
import { R, SYSCALL_ARG_REGS, syscallNr } from '../kernel/regs.js';
import { ILL_ILLOPN, SI_KERNEL, SIG, siginfoCode } from '../kernel/signals.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import { INT3, isSyscallInsn } from '../kernel/x86-insn.js';
import { __WALL } from '../kernel/ptrace.js';
import type { ExecEvent, NewTaskEvent, PatchEvent, PointMemory, SignalEvent, SyscallEvent, TraceEvent } from '../trace/events.js';
import { SignalPlacement, SyscallMode } from '../trace/events.js';
import type { TraceReader } from '../trace/trace-reader.js';
import { isSynchronous, rewindSyscallForSignal } from '../tracee/signal-points.js';
import { TraceeError } from '../tracee/errors.js';
import { afterCodeChange, changesCode } from '../patch/code-changes.js';
import { armPointTrap } from '../patch/point-trap.js';
import { applySites, CodeSpaces, PatchedCode, type CodeSpacesState } from '../patch/code-patcher.js';
import { replayPlan, type TrapPlan } from '../tracee/trap-plan.js';
import { interruptedBySignal, runToSyscallExit, skipToExit } from '../tracee/inject.js';
import { applyInsnResult, decodeTrappedInsn } from '../tracee/insn.js';
import { hashRanges } from '../tracee/point-memory.js';
import { chooseCpu, cpuAllowed, filtered, launch, waitStop } from '../tracee/spawn.js';
import { forgetTask, insulate } from '../tracee/stray-signals.js';
import { decodeStatus, describeStop, type Stop } from '../tracee/stop.js';
import { Task } from '../tracee/task.js';
import { writtenDataHash } from '../tracee/write-data.js';
import { native } from '../native/addon.js';
import { describeEvent } from '../trace/describe-event.js';
import { DivergenceError, regsDifference, TraceEndedEarly } from './divergence.js';
import { echoWrite } from './echo.js';
import { EventCursor } from './event-cursor.js';
import { isRestartCode, restartedRegs } from './restart.js';
import { namedExecPath } from './exec-names.js';
import { SyscallStepGuard } from './syscall-step-guard.js';
import { copyPath } from './trace-files.js';
import { SharedBackings } from './shared-backings.js';
import { basename } from 'node:path';
import { createsTask, parentWaits, replayNewTask, replayNewTaskResult, sharesMemory } from '../syscalls/clone.js';
import { replayFileMapping } from '../syscalls/mmap.js';
import { replayShmAttach, replayShmDetach } from '../syscalls/shm.js';
import { interruptUnderMask } from '../syscalls/signal-masks.js';
import { enterReplayExec, finishReplayExec, isExec, waitExecEnd, type ExecReplay } from '../syscalls/exec.js';

/** Passes through a preemption point's instruction replay tries before it reports a divergence. */
const MAX_SEARCH_HITS = 1_000_000;

export interface ReplayOptions {
  /** Re-emit the program's writes to stdout/stderr. */
  echo: boolean;
  /** Where replay starts: the beginning, or a saved state (a checkpoint's forked copies). */
  from?: ReplayState;
}

/** Why a debugger stop interrupted the replay loop (see DebugHooks). */
export type DebugTrap =
  | { kind: 'breakpoint'; addr: bigint }
  /** Debug-register slots that fired; `step` when the instruction was also a single step of the debugger's. */
  | { kind: 'watch'; slots: number[]; step: boolean }
  | { kind: 'step' }
  | { kind: 'signal'; signo: number }
  /** The debugged process is about to end (exit_group, or a fatal signal): the end of its history. */
  | { kind: 'end' };

/** Thrown out of the replay loop at a debugger stop; the loop continues from there on the next call. */
export class DebugStop extends Error {
  constructor(readonly trap: DebugTrap, readonly recTid: number) {
    super('debugger stop');
  }
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
  /** The task, at a syscall's entry, is about to run it for real: the kernel must reach every page. */
  kernelRuns?(t: RTask): void;
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

/** Everything the replay loop keeps between steps, so a forked copy of the tree can resume from it. */
export interface ReplayState {
  index: number;
  tasks: RTask[];
  realTids: [number, number][];
  leader: number;
  leaderExit: ReplayOutcome | null;
  /** The patched code of each address space. */
  code: CodeSpacesState;
}

export interface ReplayOutcome {
  exitCode: number | null;
  exitSignal: number | null;
  events: number;
}

/** Whether the task's next instruction is `syscall` (0f 05). */
function atSyscallInstruction(task: Task): boolean {
  const code = task.readPartial(task.fetchRegs()[R.rip]!, 2);
  return isSyscallInsn(code);
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

/** Whether the task (registers fetched, rip where the point's is) is at the point: registers, then memory. */
function atPoint(task: Task, target: BigUint64Array, point: PointMemory | undefined): boolean {
  const regs = task.regs;
  return regsDifference(target, regs, [R.eflags]) === null && ((target[R.eflags]! ^ regs[R.eflags]!) & ~X86_EFLAGS_RF) === 0n
    && (!point || hashRanges(task, point.ranges) === point.hash);
}

/** si_code of the SIGTRAP the task stopped with. */
function trapCode(task: Task): number {
  return siginfoCode(task.siginfo());
}

/** A replayed task. */
export interface RTask {
  task: Task;
  /** Its tid in the recording (replay's tids differ). */
  recTid: number;
  /** A stop it sits at that the next event will use (parked by an `enter` event, or an early exit). */
  at: Stop | null;
  /** How to resume it when its next event is due; null when it is already running in the kernel. */
  resume: { syscall: boolean; sig: number } | null;
  /** It sits at the seccomp stop of this emulated syscall, skipped with the recorded result. */
  skipped: SyscallEvent | null;
  /** A signal replay re-sent; its delivery stop gets the recorded siginfo. */
  resending: SignalEvent | null;
  /** A recorded signal already re-sent ahead of time (before an rt_sigsuspend ran). */
  presented: SignalEvent | null;
  /** A debugger stop was reported at the preemption/signal point this task was run to. */
  pointReached?: boolean;
  /** The ptrace stop it sits at (when it is stopped), for checkpoints that copy it. */
  stop?: Stop;
  /**
   * Its clear_child_tid (set_tid_address, clone's CLONE_CHILD_CLEARTID; 0 after exec and for a plain
   * fork): a copy of the task needs it, and the kernel does not tell a tracer.
   */
  clearTid?: bigint;
}

/** Whether the task sits at a ptrace stop (else it runs in the kernel, e.g. a vfork parent). */
export function isStopped(t: RTask): boolean {
  return t.at !== null || t.resume !== null;
}

export class Replayer {
  private readonly cursor: EventCursor;
  private readonly tasks = new Map<number, RTask>();
  /** Every task's real tid by recorded tid, kept after it exits (a vfork parent's result names it later). */
  private readonly realTids = new Map<number, number>();
  private leader = 0;
  private outcome: ReplayOutcome | null = null;

  /** Set by a debugger before start(); the replay loop then stops at its breakpoints and steps. */
  hooks: DebugHooks | null = null;
  /** How rdtsc/cpuid are caught here (the recording's way where this machine can, else patched). */
  private readonly plan: TrapPlan;
  /** The patched code of each address space, by recorded tid. */
  private readonly spaces: CodeSpaces;
  /** One memory file per recorded file mapped shared, which all its mappings map. */
  private readonly backings: SharedBackings;

  constructor(private readonly reader: TraceReader, private readonly opts: ReplayOptions) {
    // Signals nobody recorded (a resized terminal, job control, a kill from elsewhere) never reach the replay.
    insulate(true);
    this.cursor = new EventCursor(reader, opts.from?.index ?? 0);
    this.plan = replayPlan(reader.meta);
    const from = opts.from;
    this.spaces = new CodeSpaces(from?.code);
    this.backings = new SharedBackings(reader.filesDir);
    if (from) {
      for (const t of from.tasks) this.tasks.set(t.recTid, t);
      for (const [r, real] of from.realTids) this.realTids.set(r, real);
      this.leader = from.leader;
      this.leaderExit = from.leaderExit;
    }
  }

  run(): ReplayOutcome {
    this.start();
    try {
      while (!this.outcome) this.step();
      return this.outcome;
    } catch (e) {
      this.killAll();
      throw e;
    }
  }

  /** Index of the next event to replay. */
  get index(): number {
    return this.cursor.index;
  }

  /** How replay ended, once every task has. */
  get finished(): ReplayOutcome | null {
    return this.outcome;
  }

  /** The replayed tasks alive now, by recorded tid. */
  liveTasks(): ReadonlyMap<number, RTask> {
    return this.tasks;
  }

  /** The real tid of a recorded task (kept after it exits). */
  realTid(recTid: number): number | undefined {
    return this.realTids.get(recTid);
  }

  /** The loop's state now (the tasks are the live ones; a checkpoint swaps in its copies). */
  state(): ReplayState {
    return {
      index: this.cursor.index, tasks: [...this.tasks.values()], realTids: [...this.realTids],
      leader: this.leader, leaderExit: this.leaderExit, code: this.spaces.snapshot(),
    };
  }

  /**
   * Whether the replayed processes map a shared backing of a recorded file (shared-backings.ts): its
   * content is the replay's, not a copy's, so their memory cannot be copied to go back to.
   */
  get sharesFiles(): boolean {
    return this.backings.any;
  }

  /** The sites rewind patched in a recorded task's code (the debugger shows the original bytes). */
  patchedCode(recTid: number): PatchedCode {
    return this.spaces.of(recTid);
  }

  /**
   * One move of the replay loop: handles one stop (usually replaying one event). A debugger stop
   * surfaces as a DebugStop exception; calling advance() again continues from it.
   */
  advance(): void {
    this.step();
  }

  /**
   * A task sitting at the entry of a syscall replay skipped (emulated) is taken on to that syscall's
   * exit, which is where it would go next anyway, so it can be copied (not when a signal is due at
   * that exit: its delivery needs the entry). Returns whether the task is now at a plain stop.
   */
  settle(t: RTask): boolean {
    if (!t.skipped) return true;
    if (t.at || !t.resume) return false;
    const next = this.cursor.peek();
    // A signal due at that exit is delivered from the entry; one placed later, at an instruction, is not.
    if (next?.kind === 'signal' && next.tid === t.recTid && next.placement !== SignalPlacement.Instruction) return false;
    t.task.toSyscallExit();
    const s = waitStop(t.task.tid);
    if (s.kind !== 'syscall') throw this.diverge(`recorded task ${t.recTid}: expected a syscall exit, got ${describeStop(s)}`);
    t.skipped = null;
    t.stop = s;
    return true;
  }

  /** Kills every replayed task (the replay is abandoned). */
  abandon(): void {
    this.killAll();
  }

  /** Launches the recorded program (not needed when resuming from a saved state). */
  start(): void {
    if (this.opts.from) return;
    const first = this.cursor.peek();
    if (!first) throw new TraceEndedEarly('the trace holds no events (the recording was interrupted at once)');
    if (first.kind !== 'exec') throw this.diverge(`the trace does not start with an exec (${describeEvent(first)})`);
    const meta = this.reader.meta;
    const task = launch({
      path: namedExecPath(copyPath(this.reader.filesDir, first.exe), basename(meta.exe)), argv: first.argv, envp: first.envp,
      cpu: cpuAllowed(meta.cpu) ? meta.cpu : chooseCpu(), noCore: true, noTscTrap: !this.plan.tscTrap,
      ...(meta.limits && { limits: meta.limits }),
    });
    this.leader = first.tid;
    this.addTask(task, first.tid).at = { kind: 'seccomp' };
  }

  private addTask(task: Task, recTid: number): RTask {
    const t: RTask = { task, recTid, at: null, resume: null, skipped: null, resending: null, presented: null };
    this.tasks.set(recTid, t);
    this.realTids.set(recTid, task.tid);
    this.hooks?.taskAdded(task, recTid);
    return t;
  }

  private killAll(): void {
    const all = [...this.tasks.values()].map((t) => t.task);
    for (const task of all) {
      native.kill(task.tid, SIG.SIGKILL);
      forgetTask(task.tid);
    }
    // Reap only our own tasks (a debugger's frozen checkpoint copies are children too), threads
    // before their leader, whose exit is reported after theirs.
    const status = new Int32Array(1);
    for (const task of [...all.filter((x) => x.tid !== x.tgid), ...all.filter((x) => x.tid === x.tgid)]) {
      for (;;) {
        const r = native.waitpid(task.tid, __WALL, status);
        if (r <= 0) break;
        const low = status[0]! & 0x7f;
        if (low !== 0x7f) break; // exited or killed
      }
    }
    this.tasks.clear();
    this.backings.close();
  }

  /** Replays the next event (or handles one stop on the way to it). */
  private step(): void {
    const ev = this.cursor.peek();
    if (!ev) {
      if (this.cursor.truncated) {
        throw new TraceEndedEarly(`the trace ends early at event ${this.cursor.index} (the recording was interrupted); replayed up to there`);
      }
      throw this.diverge(`the recording ends while ${this.tasks.size} task(s) still run`);
    }
    const t = this.tasks.get(ev.tid);
    if (!t) throw this.diverge(`an event for task ${ev.tid}, which does not exist at this point`);
    if (this.hooks && ev.kind === 'exit' && this.hooks.isEnd(ev.tid, ev)) throw new DebugStop({ kind: 'end' }, ev.tid);
    if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL && t.at?.kind !== 'killed') {
      // SIGKILL ended the recorded task here; it has no delivery stop, so replay kills at the same point.
      native.kill(t.task.tid, SIG.SIGKILL);
      t.at = null;
      t.resume = null;
    }
    if (ev.kind === 'exit' && t.at && t.at.kind !== 'exited' && t.at.kind !== 'killed') {
      // Parked in a syscall when another thread's exit_group (already replayed) killed it.
      t.at = null;
      t.resume = null;
    }
    if (ev.kind === 'exit' && t.task.tid === t.task.tgid && !t.at) this.reapSiblings(t);
    // A signal re-sent for the previous event is delivered first (the next one goes on top of its frame).
    if (ev.kind === 'signal' && ev.placement === SignalPlacement.SyscallExit && !t.resending) {
      this.signalAtSyscallExit(t, ev);
      return;
    }
    if (ev.kind === 'patch') {
      this.applyPatch(t, ev);
      return;
    }
    if (ev.kind === 'preempt' || (ev.kind === 'signal' && ev.placement === SignalPlacement.Instruction)) {
      this.runToPoint(t, ev.regs, ev.point, describeEvent(ev));
      this.cursor.take();
      if (ev.kind === 'signal') {
        t.resending = ev;
        t.task.signal(ev.signo);
        return;
      }
      // The task waits at the point, its instruction not run. A debugger breakpoint there counts as met
      // for this pass (reported when the task arrived, or not armed then), so the state here is the
      // same whichever restore point the replay came from: RF for an execute slot, the timeline's
      // step-over for an int3.
      if (this.hooks) {
        const regs = t.task.fetchRegs();
        regs[R.eflags] = regs[R.eflags]! | X86_EFLAGS_RF;
        t.task.storeRegs();
        this.hooks.waitsAtPoint(t.task, t.recTid, regs[R.rip]!);
      }
      return;
    }
    const stop = t.at ?? this.resumeAndWait(t);
    t.at = null;
    t.skipped = null;
    switch (stop.kind) {
      case 'seccomp': this.atSyscallEntry(t, ev); this.endStepAtSyscall(t, ev); return;
      case 'syscall': this.atSyscallExit(t, ev); this.endStepAtSyscall(t, ev); return;
      case 'signal': this.atSignal(t, stop.signal, ev); return;
      case 'exited':
      case 'killed': this.atExit(t, stop, ev); return;
      case 'group-stop':
        t.resume = { syscall: false, sig: 0 };
        return;
      case 'event':
        throw this.diverge(`unexpected ${describeStop(stop)} in recorded task ${t.recTid}`);
    }
  }

  /**
   * The kernel reports a thread-group leader's exit only after its other threads are reaped; those the
   * group's exit_group killed are collected now and kept for their own exit events.
   */
  private reapSiblings(leader: RTask): void {
    for (const u of this.tasks.values()) {
      if (u === leader || u.task.tgid !== leader.task.tgid || u.at?.kind === 'exited' || u.at?.kind === 'killed') continue;
      for (;;) {
        const s = waitStop(u.task.tid);
        if (s.kind === 'exited' || s.kind === 'killed') {
          u.at = s;
          u.resume = null;
          break;
        }
        try { u.task.cont(); } catch { /* dying */ }
      }
    }
  }

  /**
   * Resumes the task and waits for its next stop. Under a debugger, a task being stepped runs one
   * instruction, and a SIGTRAP of the debugger's (not `own`, runToPoint's breakpoint) throws DebugStop.
   */
  private resumeAndWait(t: RTask, own = -1n): Stop {
    const stepping = this.hooks?.stepping(t.recTid) ?? false;
    if (stepping && t.skipped && !t.at) {
      // Its emulated syscall is complete as far as the program can tell (the step that ran the syscall
      // instruction ended at its event): take it to the exit, then step the next instruction.
      t.task.toSyscallExit();
      const s = waitStop(t.task.tid);
      if (s.kind !== 'syscall') throw this.diverge(`recorded task ${t.recTid}: expected a syscall exit, got ${describeStop(s)}`);
      t.skipped = null;
      t.stop = { kind: 'syscall' };
    }
    const r = t.resume;
    t.resume = null;
    // Once resumed it has left the syscall it sat in (a debugger stop may come before step() sees it).
    if (r) t.skipped = null;
    const over = r && r.sig === 0 ? this.hooks?.stepOverBreakpoint(t.task, t.recTid) : false;
    if (typeof over === 'object') {
      // A breakpoint on a syscall instruction: the syscall ran to its seccomp stop.
      t.stop = over;
      return over;
    }
    if (over) {
      if (stepping) {
        t.resume = r;
        throw new DebugStop({ kind: 'step' }, t.recTid);
      }
      this.debugTrap(t, trapCode(t.task));
      t.resume = null;
    }
    let early: Stop | null = null;
    let guard: SyscallStepGuard | null = null;
    if (r) {
      let sig = r.sig;
      if (sig !== 0 && this.hooks?.liftForSignal?.(t, sig)) {
        // Software watchpoints: the frame is written with the pages unprotected; a single step with the
        // signal stops at the handler's first instruction, where the protections go back.
        t.task.step(sig);
        const first = waitStop(t.task.tid);
        if (first.kind === 'seccomp') untraceSyscallFlags(t.task);
        this.hooks.signalDelivered?.(t, first);
        sig = 0;
        if (stepping || first.kind !== 'signal' || first.signal !== SIG.SIGTRAP) early = first;
      }
      if (!early) {
        try {
          // A step onto a syscall instruction runs it to its seccomp stop (no trap flag for the syscall
          // to save in r11); the step ends once its event is replayed (endStepAtSyscall).
          if (stepping && (r.syscall || sig !== 0 || !atSyscallInstruction(t.task))) t.task.step(sig);
          else if (r.syscall) t.task.toSyscallExit(sig);
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
    t.stop = s;
    if (guard?.lift(t.task, s)) {
      // The program's own seccomp filter answered the syscall: the step ends right after it.
      t.resume = { syscall: false, sig: 0 };
      throw new DebugStop({ kind: 'step' }, t.recTid);
    }
    // A task left running (a vfork parent) has stopped: the debugger may have changed its slots meanwhile.
    if (!r && s.kind !== 'exited' && s.kind !== 'killed') this.hooks?.taskStopped(t.task, t.recTid);
    if (stepping && s.kind === 'seccomp') untraceSyscallFlags(t.task);
    while (this.hooks?.pageFault && s.kind === 'signal' && s.signal === SIG.SIGSEGV) {
      // Software watchpoints: a fault on a watched page. The debugger ran the instruction (one step).
      const after = this.hooks.pageFault(t.task, t.recTid);
      if (!after) break;
      s = after;
      t.stop = s;
      if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) break;
      // A watchpoint hit, or the debugger's step, is reported; otherwise the run goes on.
      this.debugTrap(t, trapCode(t.task));
      try {
        t.task.cont();
      } catch {
        // Killed meanwhile: its exit is what waitpid reports next.
      }
      s = waitStop(t.task.tid);
      t.stop = s;
    }
    if (this.hooks && s.kind === 'signal' && s.signal === SIG.SIGTRAP) {
      const code = trapCode(t.task);
      if (own >= 0n && code === SI_KERNEL && t.task.fetchRegs()[R.rip] === own + 1n) return s;
      this.debugTrap(t, code);
    }
    return s;
  }

  /**
   * A task being stepped ran a syscall instruction and its syscall event was just replayed: the step
   * ends here, at the event boundary after it (an emulated syscall sits at its entry, already skipped
   * with its result in place; a later step takes it to the exit first).
   */
  private endStepAtSyscall(t: RTask, ev: TraceEvent): void {
    if (ev.kind !== 'syscall' || t.resume === null || !this.hooks?.stepping(t.recTid)) return;
    throw new DebugStop({ kind: 'step' }, t.recTid);
  }

  /** Throws DebugStop when a SIGTRAP (si_code `code`) was the debugger's; the task resumes from there. */
  private debugTrap(t: RTask, code: number): void {
    const trap = this.hooks?.trap(t.task, t.recTid, code);
    if (!trap) return;
    t.resume = { syscall: false, sig: 0 };
    throw new DebugStop(trap, t.recTid);
  }

  /**
   * Runs the task to the point where its registers equal target and, when the recording has it, the
   * hash of the recorded memory ranges equals point's: a breakpoint at target's rip, and a comparison at
   * each hit (stepping over the breakpoint when they differ). Without a hardware counter this costs one
   * trap per pass through that instruction, so it is capped.
   */
  private runToPoint(t: RTask, target: BigUint64Array, point: PointMemory | undefined, what: string): void {
    if (t.pointReached) {
      // A debugger breakpoint at the point was reported when the search got there.
      t.pointReached = false;
      return;
    }
    const task = t.task;
    const at = target[R.rip]!;
    if (!this.hooks && !process.env['REWIND_NO_POINT_TRAP'] && this.runToPointInProcess(t, target, point, what)) return;
    const int3 = new Uint8Array([INT3]);
    for (let hits = 0; hits < MAX_SEARCH_HITS; hits++) {
      const original = task.read(at, 1);
      task.write(at, int3);
      let stop: Stop;
      try {
        stop = t.at ?? this.resumeAndWait(t, at);
      } finally {
        task.write(at, original);
      }
      t.at = null;
      t.skipped = null;
      if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
        t.resume = { syscall: false, sig: 0 };
        hits--;
        continue;
      }
      if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP) {
        throw this.diverge(`recorded task ${t.recTid} reached ${describeStop(stop)} before ${what}`);
      }
      const regs = task.fetchRegs();
      if (regs[R.rip] !== at + 1n) throw this.diverge(`recorded task ${t.recTid} trapped at 0x${regs[R.rip]!.toString(16)} before ${what}`);
      regs[R.rip] = at;
      task.storeRegs();
      const found = regsDifference(target, regs, [R.eflags]) === null && ((target[R.eflags]! ^ regs[R.eflags]!) & ~X86_EFLAGS_RF) === 0n
        && (!point || hashRanges(task, point.ranges) === point.hash);
      if (this.hooks?.breakpointAt(task, at)) {
        // The debugger's breakpoint at the same instruction is reported first.
        t.pointReached = found;
        t.resume = { syscall: false, sig: 0 };
        throw new DebugStop({ kind: 'breakpoint', addr: at }, t.recTid);
      }
      if (found) {
        t.resume = { syscall: false, sig: 0 };
        return;
      }
      // Not this pass: execute the instruction, then put the breakpoint back. A debugger's execute slot
      // here trapped before the int3 did (and was reported): RF keeps it from trapping again.
      regs[R.eflags] = regs[R.eflags]! | X86_EFLAGS_RF;
      task.storeRegs();
      task.step();
      let s = waitStop(task.tid);
      if (s.kind === 'signal' && s.signal === SIG.SIGSEGV) s = this.hooks?.pageFault?.(task, t.recTid) ?? s;
      if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) {
        throw this.diverge(`recorded task ${t.recTid} reached ${describeStop(s)} before ${what}`);
      }
      t.resume = { syscall: false, sig: 0 };
      // That instruction may be the debugger's step, or trip its watchpoint.
      if (this.hooks) this.debugTrap(t, trapCode(task));
    }
    throw this.diverge(`could not find ${what} within ${MAX_SEARCH_HITS} passes through 0x${at.toString(16)}`);
  }

  /**
   * runToPoint with an in-process conditional trap (src/patch/point-trap.ts): the registers are
   * compared in the program, and only a full match stops it. Returns false, having changed nothing,
   * where the trap cannot be armed safely; then the int3 search runs. Not used under a debugger (its
   * breakpoints and steps need the plain search).
   */
  private runToPointInProcess(t: RTask, target: BigUint64Array, point: PointMemory | undefined, what: string): boolean {
    if (t.at || !t.resume || !this.settle(t)) return false;
    const task = t.task;
    const at = target[R.rip]!;
    if (t.resending && t.resume.sig === 0 && !t.resume.syscall) {
      // The signal re-sent at the task's last point is delivered before anything else (an injected
      // syscall would meet it): take the task to its delivery stop.
      const sent = t.resending;
      task.cont();
      const s = waitStop(task.tid);
      if (s.kind !== 'signal' || s.signal !== sent.signo) throw this.diverge(`recorded task ${t.recTid}: expected signal ${sent.signo}, got ${describeStop(s)}`);
      t.resending = null;
      task.setSiginfo(sent.siginfo);
      t.resume = { syscall: false, sig: sent.signo };
      t.stop = s;
    }
    if (t.resume.sig !== 0) {
      // A signal placed at the task's last point (SIGCHLD in a loop, say) is delivered first, by one
      // single step, so the trap searches from a plain stop (the plain search would stop at every pass).
      if (!this.deliverByStep(t)) return false;
      // The step may leave the task inside the bytes the trap displaces (it ran the instruction at the
      // point): a few more steps take it out, each stop checked.
      for (let steps = 0; ; steps++) {
        const rip = task.fetchRegs()[R.rip]!;
        if (atPoint(task, target, point)) return true;
        if (steps === 4 || rip <= at || rip >= at + 16n || atSyscallInstruction(task)) break;
        task.step();
        const s = waitStop(task.tid);
        if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) throw this.diverge(`recorded task ${t.recTid} reached ${describeStop(s)} before ${what}`);
        t.stop = s;
      }
    }
    const trap = armPointTrap(task, target);
    if (!trap) return false;
    let found = false;
    try {
      for (let hits = 0; hits < MAX_SEARCH_HITS && !found; hits++) {
        task.cont();
        const stop = waitStop(task.tid);
        if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
          hits--;
          continue;
        }
        if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP) {
          throw this.diverge(`recorded task ${t.recTid} reached ${describeStop(stop)} before ${what}`);
        }
        const regs = task.fetchRegs();
        if (regs[R.rip] !== trap.hitAddr + 1n) throw this.diverge(`recorded task ${t.recTid} trapped at 0x${regs[R.rip]!.toString(16)} before ${what}`);
        const resumeAt = regs[R.rip]!;
        regs[R.rip] = at;
        found = atPoint(task, target, point);
        if (!found) regs[R.rip] = resumeAt;
        task.storeRegs();
      }
    } finally {
      try {
        trap.remove(task);
      } catch (e) {
        if (found) throw e; // else the error that ended the search is the one to report
      }
    }
    if (!found) throw this.diverge(`could not find ${what} within ${MAX_SEARCH_HITS} register matches at 0x${at.toString(16)}`);
    t.stop = { kind: 'signal', signal: SIG.SIGTRAP };
    t.resume = { syscall: false, sig: 0 };
    return true;
  }

  /**
   * Delivers the signal the task is to be resumed with by one single step (an ignored signal: the step
   * runs one instruction; a handled one: it stops at the handler's first). False, having changed
   * nothing, when the next instruction is `syscall`.
   */
  private deliverByStep(t: RTask): boolean {
    if (atSyscallInstruction(t.task)) return false;
    const sig = t.resume!.sig;
    t.task.step(sig);
    const s = waitStop(t.task.tid);
    if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) {
      throw this.diverge(`recorded task ${t.recTid}: delivering signal ${sig} it got ${describeStop(s)}`);
    }
    t.resume = { syscall: false, sig: 0 };
    t.stop = s;
    return true;
  }

  private checkRegs(expected: BigUint64Array, actual: BigUint64Array, what: string, ignore: number[] = []): void {
    const diff = regsDifference(expected, actual, ignore);
    if (diff) throw this.diverge(`${what}: registers differ (${diff})`);
  }

  diverge(message: string): DivergenceError {
    const details = this.cursor.recent.map((r) => `  event ${r.index}: ${describeEvent(r.ev)}`);
    const next = this.cursor.peek();
    if (next) details.push(`  expected event ${this.cursor.index}: ${describeEvent(next)}`);
    return new DivergenceError(`replay diverged at event ${this.cursor.index}: ${message}`, details);
  }

  private atSyscallEntry(t: RTask, ev: TraceEvent): void {
    const task = t.task;
    const regs = task.fetchRegs().slice();
    const nr = syscallNr(regs);
    t.resume = { syscall: false, sig: 0 };
    switch (ev.kind) {
      case 'enter':
        this.checkRegs(ev.regs, regs, `entering ${syscallName(nr)}`);
        this.cursor.take();
        t.at = { kind: 'seccomp' };
        t.resume = null;
        return;
      case 'signal':
        if (ev.placement !== SignalPlacement.SyscallEntry) break;
        this.checkRegs(ev.regs, regs, `before ${syscallName(nr)}, delivering signal ${ev.signo}`);
        this.cursor.take();
        rewindSyscallForSignal(task, regs);
        t.resending = ev;
        task.signal(ev.signo);
        return;
      case 'exec':
        if (!isExec(nr)) break;
        this.cursor.take();
        this.hooks?.kernelRuns?.(t);
        this.replayExec(t, ev, regs);
        return;
      case 'newtask':
        if (nr !== ev.nr) break;
        this.checkRegs(ev.regs, regs, `at ${syscallName(nr)}`);
        this.cursor.take();
        this.hooks?.kernelRuns?.(t);
        this.replayNewTask(t, ev, regs);
        this.hooks?.kernelRan?.(t);
        return;
      case 'syscall': {
        if (ev.nr !== nr) throw this.diverge(`expected syscall ${syscallName(ev.nr)}, got ${syscallName(nr)}`);
        this.checkRegs(ev.regs, regs, `at ${syscallName(nr)}`);
        if (nr === SYS.set_tid_address) t.clearTid = regs[R.rdi]!;
        if (this.hooks?.isEnd(t.recTid, ev)) {
          t.at = { kind: 'seccomp' };
          t.resume = null;
          throw new DebugStop({ kind: 'end' }, t.recTid);
        }
        if (ev.dataHash !== undefined) this.checkWrittenData(task, ev, regs);
        this.cursor.take();
        // A fork/vfork/clone that created nothing and was restarted (a stop rewind asked for was pending
        // when it began: -ERESTARTNOINTR) is skipped like an emulated call: the restarted one follows.
        if (ev.mode === SyscallMode.Emulated || (isRestartCode(ev.result) && createsTask(nr))) {
          regs[R.orig_rax] = BigInt.asUintN(64, -1n);
          regs[R.rax] = BigInt.asUintN(64, ev.result);
          if (isRestartCode(ev.result) && !this.signalAtExitFollows(t)) restartedRegs(regs, nr, ev.result);
          task.storeRegs(regs);
          this.applyWrites(task, ev);
          t.skipped = ev;
        } else {
          this.hooks?.kernelRuns?.(t);
          this.replayExecuted(t, ev, regs);
          this.hooks?.kernelRan?.(t);
        }
        return;
      }
    }
    throw this.diverge(`expected ${describeEvent(ev)}, got syscall ${syscallName(nr)} in recorded task ${t.recTid}`);
  }

  /** A write-like call must take the same bytes from memory as when recorded. */
  private checkWrittenData(task: Task, ev: SyscallEvent, regs: BigUint64Array): void {
    const args = SYSCALL_ARG_REGS.map((r) => regs[r]!);
    const hash = writtenDataHash(task, ev.nr, args, ev.result);
    if (hash !== ev.dataHash) {
      throw this.diverge(`${syscallName(ev.nr)} in recorded task ${ev.tid} wrote other data than recorded (${ev.result} bytes${hash === null ? ', unreadable' : ''})`);
    }
  }

  /** The exit stop of a syscall the task started earlier (fork, vfork, clone): hands back the recorded tid. */
  private atSyscallExit(t: RTask, ev: TraceEvent): void {
    if (ev.kind !== 'syscall' || !createsTask(ev.nr)) {
      throw this.diverge(`expected ${describeEvent(ev)}, got a syscall exit in recorded task ${t.recTid}`);
    }
    this.cursor.take();
    replayNewTaskResult(t.task, ev, this.realTids.get(Number(ev.result)), (m) => this.diverge(m));
    t.resume = { syscall: false, sig: 0 };
    t.stop = { kind: 'syscall' };
  }

  private applyWrites(task: Task, ev: SyscallEvent): void {
    for (const w of ev.writes) task.write(w.addr, w.data);
    if (ev.fileChange) this.backings.apply(ev.fileChange);
    if (ev.echo && this.opts.echo) echoWrite(task, ev);
  }

  /** A recorded signal that was pending when the task's last syscall returned: re-send it there. */
  private signalAtSyscallExit(t: RTask, ev: SignalEvent): void {
    this.cursor.take();
    t.resending = ev;
    if (t.presented === ev) {
      t.presented = null;
      return;
    }
    const call = t.skipped;
    t.skipped = null;
    if (call) {
      // The syscall was skipped at its entry: go to its exit so the kernel sees an interrupted syscall.
      // One that waited with a temporary signal mask (pselect6, ppoll, epoll_pwait) becomes rt_sigsuspend
      // on that mask, so the signal is delivered under it and the old mask is saved in the frame (syscalls/signal-masks.ts).
      const masked = interruptUnderMask(t.task, call, ev.signo, (m) => this.diverge(m));
      if (!masked) skipToExit(t.task, call.result);
      const exitRegs = t.task.fetchRegs();
      for (const r of SYSCALL_ARG_REGS) exitRegs[r] = call.regs[r]!;
      exitRegs[R.orig_rax] = BigInt(call.nr);
      exitRegs[R.rax] = BigInt.asUintN(64, call.result);
      t.task.storeRegs();
      t.stop = { kind: 'syscall' };
      if (masked) {
        t.resume = { syscall: false, sig: 0 };
        return;
      }
    }
    t.task.signal(ev.signo);
    // At the delivery stop of another signal (delivered on resume), this one comes right on top of it.
    t.resume = { syscall: false, sig: t.resume?.sig ?? 0 };
  }

  /** A syscall that runs for real; anonymous mmaps are pinned to the recorded address. */
  private replayExecuted(t: RTask, ev: SyscallEvent, regs: BigUint64Array): void {
    const task = t.task;
    if (ev.file || ev.nr === SYS.shmdt) {
      const diverge = (m: string): Error => this.diverge(m);
      if (ev.nr === SYS.shmat) replayShmAttach(task, ev, regs, this.reader.filesDir, this.backings, diverge);
      else if (ev.nr === SYS.shmdt) replayShmDetach(task, ev, regs, diverge);
      else replayFileMapping(task, ev, regs, this.reader.filesDir, this.backings, diverge);
      this.applyWrites(task, ev);
      t.stop = { kind: 'syscall' };
      this.codeChanged(t, ev);
      return;
    }
    const pinned = ev.nr === SYS.mmap && ev.result >= 0n;
    if (pinned) {
      regs[R.rdi] = BigInt.asUintN(64, ev.result);
      regs[R.r10] = regs[R.r10]! | MAP_FIXED;
      task.storeRegs(regs);
    }
    const pidReg = this.pointAtReplayedProcess(task, ev, regs);
    if (ev.nr === SYS.rt_sigsuspend) this.presendSignal(t);
    if (ev.nr === SYS.exit || ev.nr === SYS.exit_group) {
      // The task never comes back; its exit is collected at its exit event (a thread-group leader's
      // exit is reported only after its other threads', whose exit events come first).
      task.toSyscallExit();
      t.resume = null;
      return;
    }
    // A stray signal may interrupt the call (fork refuses to start with one pending); unless the
    // recording has the interruption itself (rt_sigsuspend), the call runs again once it is dropped.
    let s: Stop;
    if (interruptedBySignal(ev.result)) {
      task.toSyscallExit();
      s = waitStop(task.tid);
    } else {
      s = runToSyscallExit(task, regs);
    }
    if (s.kind === 'exited' || s.kind === 'killed') {
      t.at = s;
      t.resume = null;
      return;
    }
    if (s.kind !== 'syscall') throw this.diverge(`${syscallName(ev.nr)}: expected its exit, got ${describeStop(s)}`);
    t.stop = { kind: 'syscall' };
    const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
    if (result !== ev.result) {
      if (!syscallDef(ev.nr)?.keepsRecordedResult) throw this.diverge(`${syscallName(ev.nr)} returned ${result}, recorded ${ev.result}`);
      task.regs[R.rax] = BigInt.asUintN(64, ev.result);
      task.storeRegs();
    }
    if (pinned || pidReg !== null) {
      // The program must see its own arguments, not the pinned ones or the replay's pid.
      for (const r of pidReg !== null ? [pidReg] : [R.rdi, R.r10]) task.regs[r] = ev.regs[r]!;
      task.storeRegs();
    }
    this.applyWrites(task, ev);
    this.codeChanged(t, ev);
  }

  /**
   * A call run for real that names a process by its recorded pid (the table's pidArg: prlimit64) acts on
   * the replayed process that pid names. Returns the register changed, or null.
   */
  private pointAtReplayedProcess(task: Task, ev: SyscallEvent, regs: BigUint64Array): number | null {
    const arg = syscallDef(ev.nr)?.pidArg;
    if (arg === undefined) return null;
    const reg = SYSCALL_ARG_REGS[arg]!;
    const pid = Number(BigInt.asIntN(32, regs[reg]!));
    if (pid === 0) return null;
    const real = this.realTids.get(pid);
    if (real === undefined) throw this.diverge(`${syscallName(ev.nr)} names process ${pid}, which is not in the replay`);
    regs[reg] = BigInt(real);
    task.storeRegs(regs);
    return reg;
  }

  /** After an executed mmap/mprotect/munmap/mremap: the patch table follows, and local patches are made. */
  private codeChanged(t: RTask, ev: SyscallEvent): void {
    if (!changesCode(ev.nr)) return;
    const args = SYSCALL_ARG_REGS.map((r) => ev.regs[r]!);
    afterCodeChange(this.spaces, t.recTid, t.task, ev.nr, args, ev.result, this.plan.patchLocally);
  }

  /** The recording patched code here: the same sites are patched now (the code must be the same). */
  private applyPatch(t: RTask, ev: PatchEvent): void {
    const code = this.spaces.of(t.recTid);
    try {
      applySites(t.task, code, ev.sites);
    } catch (e) {
      if (e instanceof TraceeError && !e.taskGone) throw this.diverge(e.message);
      throw e;
    }
    this.spaces.set(t.recTid, code.with(ev.sites));
    this.cursor.take();
  }

  /** The task's next event, after the one just taken (it may be the very next one). */
  private nextEventOf(t: RTask): TraceEvent | undefined {
    const next = this.cursor.peek();
    return next?.tid === t.recTid ? next : this.cursor.findAhead((e) => e.tid === t.recTid);
  }

  /** Whether the task's next event is a signal delivered at the exit of the syscall just taken. */
  private signalAtExitFollows(t: RTask): boolean {
    const next = this.nextEventOf(t);
    return next?.kind === 'signal' && next.placement === SignalPlacement.SyscallExit;
  }

  /** rt_sigsuspend waits for a signal: the recorded one must be pending before it runs. */
  private presendSignal(t: RTask): void {
    const sig = this.nextEventOf(t);
    if (sig?.kind !== 'signal' || sig.placement !== SignalPlacement.SyscallExit) return;
    t.presented = sig;
    t.task.signal(sig.signo);
  }

  /** fork, vfork, clone: creates the task for real and makes it look like the recorded one (syscalls/clone.ts). */
  private replayNewTask(t: RTask, ev: NewTaskEvent, regs: BigUint64Array): void {
    const task = t.task;
    const { child, first, clearTid, parentStop } = replayNewTask(task, ev, regs, waitStop, (m) => this.diverge(m));
    this.spaces.created(ev.tid, ev.child, sharesMemory(ev.nr, regs));
    const ct = this.addTask(child, ev.child);
    if (clearTid !== undefined) ct.clearTid = clearTid;
    ct.resume = { syscall: false, sig: 0 };
    ct.stop = first;
    task.toSyscallExit();
    t.resume = null;
    // A vfork parent waits in the kernel until its child execs or exits: its exit stop is collected at
    // its syscall event. Any other returns at once, and waits at its exit stop (a stopped task's debug
    // registers can be set; a running one's cannot).
    if (parentWaits(parentStop)) return;
    const back = waitStop(task.tid);
    if (back.kind !== 'syscall') throw this.diverge(`${syscallName(ev.nr)}: expected its exit, got ${describeStop(back)}`);
    t.at = back;
    t.stop = back;
  }

  /** execve: runs the trace's copy of the executable, then puts back the recorded initial stack and registers (syscalls/exec.ts). */
  private replayExec(t: RTask, ev: ExecEvent, entry: BigUint64Array): void {
    const task = t.task;
    const home: ExecReplay = { filesDir: this.reader.filesDir, plan: this.plan, spaces: this.spaces, diverge: (m) => this.diverge(m) };
    const comm = enterReplayExec(task, ev, entry, this.cursor.index > 1 ? null : this.reader.meta.exe, home);
    task.toSyscallExit();
    let s = this.waitExec(t, ev);
    if (s.kind === 'event') {
      t.task.toSyscallExit();
      s = waitStop(t.task.tid);
    }
    if (s.kind !== 'syscall') throw this.diverge(`execve of ${ev.path}: expected its exit, got ${describeStop(s)}`);
    finishReplayExec(t.task, ev, comm, home); // t.task: the leader's tid when it took it over
    t.clearTid = 0n; // exec drops it
    t.resume = { syscall: false, sig: 0 };
    t.stop = { kind: 'syscall' };
    this.hooks?.execed(task, t.recTid);
  }

  /**
   * Waits for the exec event (or the exit stop) of t's execve. With other threads in its process, the
   * kernel ends them first and waits until they are reaped: their exits are collected here and kept for
   * their exit events, which the recording has after the exec. When the recording says the task took
   * over its leader's tid (ev.newTid), the old leader is dropped without an exit (it has none), and the
   * task is known by the new tids from here on.
   */
  private waitExec(t: RTask, ev: ExecEvent): Stop {
    const task = t.task;
    const others = [...this.tasks.values()].filter((u) => u !== t && u.task.tgid === task.tgid);
    if (others.length === 0 && ev.newTid === ev.tid) return waitStop(task.tid);
    const leader = task.tgid;
    if ((ev.newTid !== ev.tid) !== (task.tid !== leader)) {
      throw this.diverge(`execve by recorded task ${ev.tid}: the recording has it ${ev.newTid === ev.tid ? 'keep' : 'take over'} its tid, here it cannot`);
    }
    const status = new Int32Array(1);
    const { stop, tookOver } = waitExecEnd(task.tid, leader, {
      next: () => {
        const r = native.waitpid(-1, __WALL, status);
        return { tid: r, stop: r < 0 ? null : filtered(r, decodeStatus(status[0]!)) };
      },
      other: (r, stop) => {
        const u = others.find((x) => x.task.tid === r);
        if (!u) throw this.diverge(`a stop of task ${r} (${describeStop(stop)}) during the execve of recorded task ${ev.tid}`);
        if (stop.kind === 'exited' || stop.kind === 'killed') {
          u.at = stop;
          u.resume = null;
        }
      },
    });
    if (tookOver) {
      this.tasks.delete(ev.newTid); // the old leader
      this.tasks.delete(ev.tid);
      t.task = new Task(leader, leader);
      t.recTid = ev.newTid;
      this.tasks.set(ev.newTid, t);
    }
    return stop;
  }

  private atSignal(t: RTask, signo: number, ev: TraceEvent): void {
    const task = t.task;
    const regs = task.fetchRegs();
    t.resume = { syscall: false, sig: 0 };
    if (t.resending && t.resending.signo === signo) {
      const sent = t.resending;
      t.resending = null;
      // A signal re-sent before a syscall was checked at that syscall's entry (the delivery stop sees
      // the syscall rewound); one at a syscall exit is checked here.
      if (sent.placement === SignalPlacement.SyscallExit) this.checkRegs(sent.regs, regs, `delivering signal ${signo}`, [R.orig_rax]);
      task.setSiginfo(sent.siginfo);
      t.resume.sig = signo;
      if (this.hooks?.reportSignal(t.recTid, signo)) throw new DebugStop({ kind: 'signal', signo }, t.recTid);
      return;
    }
    const siginfo = task.siginfo();
    const code = siginfoCode(siginfo);
    const insn = signo === SIG.SIGILL && code === ILL_ILLOPN ? this.spaces.of(t.recTid).siteAt(regs[R.rip]!)
      : signo === SIG.SIGSEGV && code === SI_KERNEL ? decodeTrappedInsn(task, regs[R.rip]!)?.insn : undefined;
    if (insn !== undefined) {
      if (ev.kind !== 'insn' || ev.insn !== insn) {
        throw this.diverge(`expected ${describeEvent(ev)}, got a trapped instruction at 0x${regs[R.rip]!.toString(16)}`);
      }
      this.checkRegs(ev.regs, regs, 'at a trapped instruction');
      this.cursor.take();
      applyInsnResult(regs, insn, ev.out);
      task.storeRegs(regs);
      return;
    }
    if (ev.kind === 'signal' && ev.signo === signo && ev.placement === SignalPlacement.Fault && isSynchronous(signo, code)) {
      this.checkRegs(ev.regs, regs, `signal ${signo}`);
      this.cursor.take();
      task.setSiginfo(ev.siginfo);
      t.resume.sig = signo;
      if (this.hooks?.reportSignal(t.recTid, signo)) throw new DebugStop({ kind: 'signal', signo }, t.recTid);
      return;
    }
    // The kernel tells a replayed parent about its replayed children's real exits; the recorded
    // SIGCHLDs come from the trace instead.
    if (signo === SIG.SIGCHLD) return;
    throw this.diverge(`expected ${describeEvent(ev)}, got signal ${signo} at 0x${regs[R.rip]!.toString(16)} in recorded task ${t.recTid}`);
  }

  private atExit(t: RTask, stop: Stop & { kind: 'exited' | 'killed' }, ev: TraceEvent): void {
    const code = stop.kind === 'exited' ? stop.code : null;
    const signal = stop.kind === 'killed' ? stop.signal : null;
    if (ev.kind !== 'exit' || ev.code !== code || ev.signal !== signal) {
      throw this.diverge(`recorded task ${t.recTid} ended (${describeStop(stop)}) where the recording has ${describeEvent(ev)}`);
    }
    this.cursor.take();
    this.tasks.delete(t.recTid);
    this.spaces.exited(t.recTid);
    if (t.recTid === this.leader) this.leaderExit = { exitCode: code, exitSignal: signal, events: 0 };
    if (this.tasks.size === 0) {
      if (!this.leaderExit) throw this.diverge('every task ended but the first one never did');
      this.outcome = { ...this.leaderExit, events: this.cursor.index };
      this.backings.close();
    }
  }

  private leaderExit: ReplayOutcome | null = null;
}
