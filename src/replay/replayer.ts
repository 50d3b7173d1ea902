// Replay: re-executes a recorded program tree. Syscalls are emulated from the trace (the program gets
// the recorded result and memory; nothing outside is touched) except those that shape the address
// space, the task tree or the kernel's view of a task, which run for real at the recorded addresses.
// Tasks run one at a time and only when their next event is the next event of the trace, so user code
// runs in the recorded order. At every stop the state is checked against the recording; any difference
// stops replay with a report.
import { X86_EFLAGS_RF } from '../kernel/eflags.js';
import { R, SYSCALL_ARG_REGS, syscallNr } from '../kernel/regs.js';
import { ILL_ILLOPN, SI_KERNEL, SIG, siginfoCode } from '../kernel/signals.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { MAP_FIXED_NOREPLACE } from '../kernel/mman.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import { INT3 } from '../kernel/x86-insn.js';
import { __WALL } from '../kernel/ptrace.js';
import type { ExecEvent, NewTaskEvent, PatchEvent, PointMemory, SignalEvent, SyscallEvent, TraceEvent } from '../trace/events.js';
import { SignalPlacement, SyscallMode } from '../trace/events.js';
import type { TraceReader } from '../trace/trace-reader.js';
import { isSynchronous, rewindSyscallForSignal } from '../tracee/signal-points.js';
import { TraceeError } from '../tracee/errors.js';
import { afterCodeChange, changesCode } from '../patch/code-changes.js';
import { planPointTrap, type PointTrapPlan } from '../patch/point-trap.js';
import { applySites, CodeSpaces, PatchedCode, type CodeSpacesState } from '../patch/code-patcher.js';
import { replayPlan, type TrapPlan } from '../tracee/trap-plan.js';
import { interruptedBySignal, runToSyscallExit, skipToExit } from '../tracee/inject.js';
import { applyInsnResult, decodeTrappedInsn } from '../tracee/insn.js';
import { memoryMatches } from '../tracee/point-memory.js';
import { useHardware } from '../tracee/capabilities.js';
import { searchByDebugRegister, searchUnderWriteProtection, writableCode, type PointSearch } from './writable-code-point.js';
import { chooseCpu, cpuAllowed, filtered, launch, waitStop } from '../tracee/spawn.js';
import { forgetTask, insulate } from '../tracee/stray-signals.js';
import { decodeStatus, describeStop, type Stop } from '../tracee/stop.js';
import { Task } from '../tracee/task.js';
import { writtenDataHash } from '../tracee/write-data.js';
import { native } from '../native/addon.js';
import { describeEvent } from '../trace/describe-event.js';
import { DivergenceError, regsDifference, TraceEndedEarly } from './divergence.js';
import { echoBytes, echoFromTask, echoWrite } from './echo.js';
import { EventCursor } from './event-cursor.js';
import { isRestartCode, restartedRegs } from './restart.js';
import { atSyscallInstruction, debugStop, isDebugStop, resumeAndWait, stepEndsAtSyscall, toSkippedExit, trapCode, trapStop, type DebugHooks, type DebugStop } from './debug-stepping.js';
import { RTask } from './replayed-task.js';
import { SharedBackings } from './shared-backings.js';
import { basename } from 'node:path';
import { createsTask, parentWaits, replayNewTask, replayNewTaskResult, sharesMemory } from '../syscalls/clone.js';
import { irregularCall } from '../syscalls/irregular.js';
import { interruptUnderMask } from '../syscalls/signal-masks.js';
import { enterReplayExec, finishReplayExec, firstExecPath, isExec, waitExecEnd, type ExecReplay } from '../syscalls/exec.js';
import { forgetCheckedCopies } from './trace-files.js';
import { bufferOf, checkRecordsUsed, delegatedCall, delegatedDone, giveRecords, leaveSharedBuffer, recordsAllUsed, recordsIn, releaseBuffer } from '../syscallbuf/install.js';
import { decodeRecords, echoedBytes, echoRooms, hasEcho } from '../syscallbuf/records.js';
import { recordsOf } from '../syscallbuf/layout.js';
import { inSyscallbufCode, syscallbufBlob } from '../syscallbuf/blob.js';
import { REPLAY_EXECUTED_SYSCALLS } from '../syscallbuf/calls.js';

/** The registers an irregular call's replay half changed before it ran for real, when none did. */
const NOT_PINNED: readonly number[] = [];
/** Passes through a preemption point's instruction replay tries before it reports a divergence. */
const MAX_SEARCH_HITS = 1_000_000;
/** Single steps that may take a task out of the bytes a point's in-process trap displaces. */
const STEPS_OUT = 8;

export interface ReplayOptions {
  /** Re-emit the program's writes to stdout/stderr. */
  echo: boolean;
  /** Where replay starts: the beginning, or a saved state (a checkpoint's forked copies). */
  from?: ReplayState;
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

/** Whether the task (registers fetched, rip where the point's is) is at the point: registers, then memory. */
function atPoint(task: Task, target: BigUint64Array, point: PointMemory | undefined): boolean {
  const regs = task.regs;
  return regsDifference(target, regs, [R.eflags]) === null && ((target[R.eflags]! ^ regs[R.eflags]!) & ~X86_EFLAGS_RF) === 0n
    && (!point || memoryMatches(task, point));
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
    forgetCheckedCopies(); // a new run checks each trace copy again at its first use
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
   * One move of the replay loop: handles one stop (usually replaying one event). Returns the debugger
   * stop it ended at, if any; calling advance() again continues from it.
   */
  advance(): DebugStop | null {
    return this.step();
  }

  /**
   * A task sitting at the entry of a syscall replay skipped (emulated) is taken on to that syscall's
   * exit, which is where it would go next anyway, so it can be copied (not when a signal is due at
   * that exit: its delivery needs the entry). Returns whether the task is now at a plain stop.
   */
  settle(t: RTask): boolean {
    if (!t.skipped) return true;
    const next = this.cursor.peek();
    // A signal due at that exit is delivered from the entry; one placed later, at an instruction, is not.
    if (next?.kind === 'signal' && next.tid === t.recTid && next.placement !== SignalPlacement.Instruction) return false;
    toSkippedExit(t, this.diverger);
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
      path: firstExecPath(first, this.reader.filesDir, basename(meta.exe)), argv: first.argv, envp: first.envp,
      cpu: cpuAllowed(meta.cpu) ? meta.cpu : chooseCpu(), noCore: true, noTscTrap: !this.plan.tscTrap,
      ...(meta.limits && { limits: meta.limits }),
      // The buffer runs some calls for real at replay too (rt_sigprocmask, rt_sigaction, madvise), without
      // a stop; only those: anything else from its instruction stops as any call does.
      ...(meta.syscallBuffer && { untracedIp: syscallbufBlob().untracedIp, untracedNrs: REPLAY_EXECUTED_SYSCALLS }),
    });
    this.leader = first.tid;
    this.addTask(task, first.tid).park({ kind: 'seccomp' });
  }

  private addTask(task: Task, recTid: number): RTask {
    const t = new RTask(task, recTid);
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

  /** Replays the next event (or handles one stop on the way to it); returns the debugger stop met, if any. */
  private step(): DebugStop | null {
    const ev = this.cursor.peek();
    if (!ev) {
      if (this.cursor.truncated) {
        throw new TraceEndedEarly(`the trace ends early at event ${this.cursor.index} (the recording was interrupted); replayed up to there`);
      }
      throw this.diverge(`the recording ends while ${this.tasks.size} task(s) still run`);
    }
    const t = this.tasks.get(ev.tid);
    if (!t) throw this.diverge(`an event for task ${ev.tid}, which does not exist at this point`);
    if (this.hooks && ev.kind === 'exit' && this.hooks.isEnd(ev.tid, ev)) return debugStop({ kind: 'end' }, ev.tid);
    if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL && t.parked?.kind !== 'killed') {
      // SIGKILL ended the recorded task here; it has no delivery stop, so replay kills at the same point.
      native.kill(t.task.tid, SIG.SIGKILL);
      t.run();
    }
    const parked = t.parked;
    if (ev.kind === 'exit' && parked && parked.kind !== 'exited' && parked.kind !== 'killed') {
      // Parked in a syscall when another thread's exit_group (already replayed) killed it.
      t.run();
    }
    if (ev.kind === 'exit' && t.task.tid === t.task.tgid && !t.parked) this.reapSiblings(t);
    // A signal re-sent for the previous event is delivered first (the next one goes on top of its frame).
    if (ev.kind === 'signal' && ev.placement === SignalPlacement.SyscallExit && !t.resending) {
      this.signalAtSyscallExit(t, ev);
      return null;
    }
    if (ev.kind === 'patch') {
      this.applyPatch(t, ev);
      return null;
    }
    if (ev.kind === 'buffered') {
      // The calls the task made in its syscall buffer before its next stop: the program takes them from there.
      const buffer = bufferOf(t.task);
      if (buffer === 0n) throw this.diverge(`recorded task ${t.recTid} has buffered calls but no syscall buffer here`);
      const given = giveRecords(t.task, buffer, ev.count, ev.records);
      t.batch ??= { index: this.cursor.index, events: [], given: 0 };
      t.batch.events.push(ev);
      t.batch.given += given;
      this.cursor.take();
      return null;
    }
    if (ev.kind === 'preempt' || (ev.kind === 'signal' && ev.placement === SignalPlacement.Instruction)) {
      const st = this.runToPoint(t, ev.regs, ev.point, describeEvent(ev));
      if (st) return st;
      this.checkBuffered(t, describeEvent(ev));
      this.cursor.take();
      if (ev.kind === 'signal') {
        t.resend(ev);
        t.task.signal(ev.signo);
        return null;
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
      return null;
    }
    const stop = t.takeParked() ?? resumeAndWait(t, this.hooks, this.diverger);
    if (isDebugStop(stop)) return stop;
    if (stop.kind === 'seccomp' && t.batch && this.runDelegated(t)) return null;
    if (stop.kind === 'exited' || stop.kind === 'killed') delete t.batch;
    // The records come before the event this stop is for (not a re-sent signal's delivery, nor a job-control stop).
    else if (stop.kind !== 'group-stop' && !(stop.kind === 'signal' && t.resending)) this.checkBuffered(t, describeStop(stop));
    switch (stop.kind) {
      case 'seccomp': return this.atSyscallEntry(t, ev) ?? stepEndsAtSyscall(this.hooks, t, ev);
      case 'syscall':
        this.atSyscallExit(t, ev);
        return stepEndsAtSyscall(this.hooks, t, ev);
      case 'signal': return this.atSignal(t, stop.signal, ev);
      case 'exited':
      case 'killed':
        this.atExit(t, stop, ev);
        return null;
      case 'group-stop':
        t.waitToResume();
        return null;
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
      if (u === leader || u.task.tgid !== leader.task.tgid || u.parked?.kind === 'exited' || u.parked?.kind === 'killed') continue;
      for (;;) {
        const s = waitStop(u.task.tid);
        if (s.kind === 'exited' || s.kind === 'killed') {
          u.park(s);
          break;
        }
        try { u.task.cont(); } catch { /* dying */ }
      }
    }
  }

  /**
   * Runs the task to the point where its registers equal target and, when the recording has it, the
   * hash of the recorded memory ranges equals point's: a breakpoint at target's rip, and a comparison at
   * each hit (stepping over the breakpoint when they differ). Without a hardware counter this costs one
   * trap per pass through that instruction, so it is capped. Returns the debugger stop met on the way, if any.
   */
  private runToPoint(t: RTask, target: BigUint64Array, point: PointMemory | undefined, what: string): DebugStop | null {
    if (t.pointReached) {
      // A debugger breakpoint at the point was reported when the search got there.
      t.reportedAtPoint(false);
      return null;
    }
    const task = t.task;
    const at = target[R.rip]!;
    const inProcess = process.env['REWIND_NO_POINT_TRAP'] ? false : this.runToPointInProcess(t, target, point, what);
    if (inProcess === true) return null;
    if (inProcess !== false) return inProcess;
    if (this.runToPointInWritableCode(t, target, point, what)) return null;
    const int3 = new Uint8Array([INT3]);
    for (let hits = 0; hits < MAX_SEARCH_HITS; hits++) {
      const original = task.read(at, 1);
      task.write(at, int3);
      let stop: Stop | DebugStop;
      try {
        stop = t.takeParked() ?? resumeAndWait(t, this.hooks, this.diverger, at);
      } finally {
        task.write(at, original);
      }
      if (isDebugStop(stop)) return stop;
      if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
        t.waitToResume();
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
        && (!point || memoryMatches(task, point)) && this.batchUsed(t);
      if (this.hooks?.breakpointAt(task, at)) {
        // The debugger's breakpoint at the same instruction is reported first.
        t.reportedAtPoint(found);
        t.waitToResume();
        return debugStop({ kind: 'breakpoint', addr: at }, t.recTid);
      }
      if (found) {
        t.waitToResume();
        return null;
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
      t.waitToResume();
      // That instruction may be the debugger's step, or trip its watchpoint.
      const st = this.hooks && trapStop(this.hooks, t, trapCode(task));
      if (st) return st;
    }
    throw this.diverge(`could not find ${what} within ${MAX_SEARCH_HITS} passes through 0x${at.toString(16)}`);
  }

  /**
   * runToPoint for a point in writable code (a JIT's), where an int3 may be overwritten by the program
   * before it runs (src/replay/writable-code-point.ts): a hardware execute breakpoint where debug
   * registers work, else the int3 with its page write-protected for the search. Not under a debugger;
   * returns false, having changed nothing, where the point is elsewhere or the search cannot start.
   */
  private runToPointInWritableCode(t: RTask, target: BigUint64Array, point: PointMemory | undefined, what: string): boolean {
    const task = t.task;
    const at = target[R.rip]!;
    if (this.hooks) return false;
    const m = writableCode(task, at);
    if (!m) return false;
    const search: PointSearch = {
      at, what, maxHits: MAX_SEARCH_HITS,
      isPoint: (tk) => atPoint(tk, target, point) && this.batchUsed(t),
      diverge: this.diverger,
    };
    if (useHardware('debug-registers')) {
      searchByDebugRegister(t, search);
      return true;
    }
    if (t.pendingSig === null || !this.settle(t) || !this.toPlainStop(t)) return false;
    searchUnderWriteProtection(t, search, m);
    t.saw({ kind: 'signal', signal: SIG.SIGTRAP });
    t.waitToResume();
    return true;
  }

  /**
   * runToPoint with an in-process conditional trap (src/patch/point-trap.ts): the registers are
   * compared in the program, and only a full match stops it. Returns false, having changed nothing,
   * where the trap cannot be armed safely; then the int3 search runs. Not used under a debugger (its
   * breakpoints and steps need the plain search).
   */
  private runToPointInProcess(t: RTask, target: BigUint64Array, point: PointMemory | undefined, what: string): boolean | DebugStop {
    if (t.pendingSig === null || !this.settle(t)) return false;
    const task = t.task;
    const at = target[R.rip]!;
    const plan = planPointTrap(task, at);
    if (!plan) return false;
    try {
      // Under a debugger, only where nothing of its is in the way (its breakpoints, watchpoints, steps):
      // not in the bytes the trap rewrites nor right after them (where the trampoline jumps back), nor
      // at the point (its breakpoint there is reported first, by the plain search), nor where the task
      // stands.
      const rip = task.fetchRegs()[R.rip]!;
      const near = [...plan.ranges.map((r) => ({ start: r.start, end: r.end + 1n })), { start: at, end: at + 1n }, { start: rip, end: rip + 1n }];
      if (this.hooks && !this.hooks.inProcessSearch(task, t.recTid, near)) return false;
      return this.searchInProcess(t, plan, target, point, what);
    } finally {
      plan.discard();
    }
  }

  private searchInProcess(t: RTask, plan: PointTrapPlan, target: BigUint64Array, point: PointMemory | undefined, what: string): boolean | DebugStop {
    const task = t.task;
    const at = target[R.rip]!;
    if (!this.toPlainStop(t)) return false;
    // The task may stand inside the bytes the trap displaces (which may start a few instructions
    // before the point): the step above ran the instruction at the point; or the previous point was
    // in the same loop and a handler returned there, with no event since but buffered calls. Steps
    // take it out, each stop checked.
    const out = this.stepOutOf(t, plan, target, point, what);
    if (out !== 'out') return out === 'found';
    const trap = plan.arm(task, target);
    if (!trap) return false;
    let found = false;
    try {
      for (let hits = 0; hits < MAX_SEARCH_HITS && !found; hits++) {
        let stop: Stop | DebugStop;
        if (this.hooks) {
          // The debugger's traps (its breakpoints elsewhere) are its stops: the search starts again
          // when the replay goes on.
          stop = resumeAndWait(t, this.hooks, this.diverger, trap.hitAddr);
          if (isDebugStop(stop)) return stop;
          t.waitToResume();
        } else {
          task.cont();
          stop = waitStop(task.tid);
        }
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
        found = atPoint(task, target, point) && this.batchUsed(t);
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
    t.saw({ kind: 'signal', signal: SIG.SIGTRAP });
    t.waitToResume();
    return true;
  }

  /**
   * Takes the task to a plain stop a syscall can be injected at, for a search in the program: a
   * signal re-sent at its last point is taken to its delivery stop (an injected syscall would meet it),
   * and a signal placed at that point (SIGCHLD in a loop, say) is delivered by one single step (the
   * plain search would stop at every pass). False, having changed nothing more, when the next
   * instruction is a syscall and a signal is still to be delivered.
   */
  private toPlainStop(t: RTask): boolean {
    const task = t.task;
    const sent = t.resending;
    if (sent && t.pendingSig === 0) {
      task.cont();
      const s = waitStop(task.tid);
      if (s.kind !== 'signal' || s.signal !== sent.signo) throw this.diverge(`recorded task ${t.recTid}: expected signal ${sent.signo}, got ${describeStop(s)}`);
      t.takeResent();
      task.setSiginfo(sent.siginfo);
      t.waitToResume(sent.signo);
      t.saw(s);
    }
    return t.pendingSig === 0 || this.deliverByStep(t);
  }

  /**
   * Single-steps the task (at most STEPS_OUT instructions) while it stands strictly inside `bytes`,
   * where the trap's jump would cover it: 'found' when a stop on the way (or where it stands) is the
   * point itself, 'out' once it is outside them, 'stuck' when it is not out in time or stands at a
   * syscall (the task is then where a plain search can start).
   */
  private stepOutOf(t: RTask, bytes: { readonly ranges: readonly { start: bigint; end: bigint }[] }, target: BigUint64Array,
    point: PointMemory | undefined, what: string): 'found' | 'out' | 'stuck' {
    const task = t.task;
    for (let steps = 0; ; steps++) {
      const rip = task.fetchRegs()[R.rip]!;
      if (rip === target[R.rip] && atPoint(task, target, point) && this.batchUsed(t)) return 'found';
      if (bytes.ranges.every((r) => rip <= r.start || rip >= r.end)) return 'out';
      if (steps === STEPS_OUT || atSyscallInstruction(task)) return 'stuck';
      task.step();
      const s = waitStop(task.tid);
      if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) throw this.diverge(`recorded task ${t.recTid} reached ${describeStop(s)} before ${what}`);
      t.saw(s);
    }
  }

  /**
   * Delivers the signal the task is to be resumed with by one single step (an ignored signal: the step
   * runs one instruction; a handled one: it stops at the handler's first). False, having changed
   * nothing, when the next instruction is `syscall`.
   */
  private deliverByStep(t: RTask): boolean {
    if (atSyscallInstruction(t.task)) return false;
    const sig = t.pendingSig!;
    t.task.step(sig);
    const s = waitStop(t.task.tid);
    if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) {
      throw this.diverge(`recorded task ${t.recTid}: delivering signal ${sig} it got ${describeStop(s)}`);
    }
    t.waitToResume();
    t.saw(s);
    return true;
  }

  private checkRegs(expected: BigUint64Array, actual: BigUint64Array, what: string, ignore: number[] = []): void {
    // EFLAGS.RF says how the thread came to stop (a fault on the way, say a first touch of a page, sets
    // it in the saved flags), not what the program did: the program never reads it (pushf stores it
    // as 0), and where pages are first touched differs at replay (the syscall buffer writes a
    // buffered call's bytes from the program, the kernel wrote them when recorded). Not compared.
    if (((expected[R.eflags]! ^ actual[R.eflags]!) & X86_EFLAGS_RF) !== 0n) {
      actual = actual.slice();
      actual[R.eflags] = actual[R.eflags]! ^ X86_EFLAGS_RF;
    }
    const diff = regsDifference(expected, actual, ignore);
    if (diff) throw this.diverge(`${what}: registers differ (${diff})`);
  }

  /**
   * Whether the task has used every record given to its buffer for its next event: the recording took
   * them at the point it was interrupted at, so a pass through the same registers and memory before
   * the last buffered call (a loop of buffered calls) is not that point.
   */
  private batchUsed(t: RTask): boolean {
    return !t.batch || recordsAllUsed(t.task, bufferOf(t.task));
  }

  /** diverge, for the helpers that take it as an argument. */
  private readonly diverger = (message: string): DivergenceError => this.diverge(message);

  /**
   * At the stop the recording took buffered calls at: the program must have made every one of them.
   * A call that differs from the next record went to the tracer instead (the buffer saw the mismatch).
   */
  private checkBuffered(t: RTask, reached: string): void {
    const batch = t.batch;
    if (!batch) return;
    delete t.batch;
    const buffer = bufferOf(t.task);
    const left = checkRecordsUsed(t.task, buffer);
    if (!left) {
      // Writes to the recording's stdout or stderr among them: re-emitted as the program wrote them here.
      if (this.opts.echo && batch.events.some((e) => hasEcho(e.records, e.count))) this.emitEchoed(t.task, buffer, batch);
      return;
    }
    const calls = batch.events.flatMap((e) => decodeRecords(e.records, e.count));
    const want = calls[left.used];
    const expected = want ? `${syscallName(want.nr)}(${want.args.map((a) => '0x' + a.toString(16)).join(', ')})` : '?';
    // A call replay runs in the buffer (rt_sigprocmask, rt_sigaction, madvise) matched its record but came out otherwise.
    const ran = left.ran === 1 ? `then ${expected} returned ${left.result} where the recording has ${want?.result ?? '?'}`
      : `then ${expected} wrote other bytes than recorded (returned ${left.result})`;
    const then = left.ran !== 0 ? ran : left.mismatchNr >= 0 ? `then called ${syscallName(left.mismatchNr)} where the recording has ${expected}`
      : `then reached ${reached} where the recording has ${expected}`;
    throw this.diverge(`recorded task ${t.recTid} made ${left.used} of the ${left.count} buffered calls of event ${batch.index} (buffered call ${left.used} is next), ${then}`);
  }

  /**
   * Re-emits the bytes the program wrote for the echoed writes among the batch's records (all used),
   * read from where giveRecords gave each its room: only those (gzip's replay gave 30 MiB of read
   * data besides), each through one reused buffer (echo.ts: fresh memory costs more than the copy).
   * The header was reset by the check; the records' area stays as the program left it.
   */
  private emitEchoed(task: Task, buffer: bigint, batch: NonNullable<RTask['batch']>): void {
    const rooms: { echo: number; at: number; len: number }[] = [];
    let base = 0;
    for (const e of batch.events) {
      const own = echoRooms(e.records, e.count);
      for (const r of own) rooms.push({ echo: r.echo, at: base + r.at, len: r.len });
      base += e.records.length + own.reduce((n, r) => n + 16 + Math.ceil(r.len / 8) * 8, 0);
    }
    if (base !== batch.given) {
      // Not the layout given (cannot happen): every record read back, as the buffer holds them.
      for (const e of echoedBytes(recordsIn(task, buffer, batch.given), batch.events.reduce((n, ev) => n + ev.count, 0))) echoBytes(e.echo, e.bytes);
      return;
    }
    for (const r of rooms) echoFromTask(task, r.echo, recordsOf(buffer) + BigInt(r.at), r.len);
  }

  diverge(message: string): DivergenceError {
    const details = this.cursor.recent.map((r) => `  event ${r.index}: ${describeEvent(r.ev)}`);
    const next = this.cursor.peek();
    if (next) details.push(`  expected event ${this.cursor.index}: ${describeEvent(next)}`);
    return new DivergenceError(`replay diverged at event ${this.cursor.index}: ${message}`, details);
  }

  /**
   * At a seccomp stop of a task with records given: a buffered mmap, munmap or mprotect the buffer
   * handed to the tracer (PROC_DELEGATE_MEMORY, set while a debugger's software watchpoints protect
   * pages) runs here as the buffer would run it (an mmap at its recorded address, never over a
   * mapping), with the protections lifted around it; its record is then used and the task goes on in
   * the buffer's code. False when the stop is not such a call.
   */
  private runDelegated(t: RTask): boolean {
    const task = t.task;
    const buffer = bufferOf(task);
    const call = buffer === 0n ? null : delegatedCall(task, buffer);
    if (!call) return false;
    const regs = task.fetchRegs().slice();
    const what = `buffered ${syscallName(call.nr)} of event ${t.batch!.index}`;
    if (syscallNr(regs) !== call.nr) throw this.diverge(`recorded task ${t.recTid}: ${what} handed to the tracer as ${syscallName(syscallNr(regs))}`);
    t.waitToResume();
    const run = regs.slice();
    if (call.nr === SYS.mmap) {
      run[R.rdi] = BigInt.asUintN(64, call.result);
      run[R.r10] = run[R.r10]! | MAP_FIXED_NOREPLACE;
    }
    this.hooks?.kernelRuns?.(t);
    const s = runToSyscallExit(task, run);
    if (s.kind !== 'syscall') throw this.diverge(`recorded task ${t.recTid}: ${what}: expected its exit, got ${describeStop(s)}`);
    t.saw(s);
    this.hooks?.kernelRan?.(t);
    const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
    if (result !== call.result) throw this.diverge(`recorded task ${t.recTid}: ${what} returned ${result}, recorded ${call.result}`);
    for (const r of [R.rdi, R.r10]) task.regs[r] = regs[r]!;
    task.storeRegs();
    delegatedDone(task, buffer, call.size);
    return true;
  }

  /** The task is at a syscall's entry: replays its event there; returns the debugger stop met, if any. */
  private atSyscallEntry(t: RTask, ev: TraceEvent): DebugStop | null {
    const task = t.task;
    const regs = task.fetchRegs().slice();
    const nr = syscallNr(regs);
    t.waitToResume();
    switch (ev.kind) {
      case 'enter':
        this.checkRegs(ev.regs, regs, `entering ${syscallName(nr)}`);
        this.cursor.take();
        t.park({ kind: 'seccomp' });
        return null;
      case 'signal':
        if (ev.placement !== SignalPlacement.SyscallEntry) break;
        this.checkRegs(ev.regs, regs, `before ${syscallName(nr)}, delivering signal ${ev.signo}`);
        this.cursor.take();
        rewindSyscallForSignal(task, regs);
        t.resend(ev);
        task.signal(ev.signo);
        return null;
      case 'exec':
        if (!isExec(nr)) break;
        this.cursor.take();
        regs[R.gs_base] = leaveSharedBuffer(task, regs[R.gs_base]!) ?? regs[R.gs_base]!;
        this.hooks?.kernelRuns?.(t);
        this.replayExec(t, ev, regs);
        return null;
      case 'newtask':
        if (nr !== ev.nr) break;
        this.checkRegs(ev.regs, regs, `at ${syscallName(nr)}`);
        this.cursor.take();
        this.hooks?.kernelRuns?.(t);
        this.replayNewTask(t, ev, regs);
        this.hooks?.kernelRan?.(t);
        return null;
      case 'syscall': {
        if (ev.nr !== nr) throw this.diverge(`expected syscall ${syscallName(ev.nr)}, got ${syscallName(nr)}`);
        this.checkRegs(ev.regs, regs, `at ${syscallName(nr)}`);
        const clearTidArg = syscallDef(nr)?.setsClearTid;
        if (clearTidArg !== undefined) t.clearTid = regs[SYSCALL_ARG_REGS[clearTidArg]!]!;
        if (this.hooks?.isEnd(t.recTid, ev)) {
          t.park({ kind: 'seccomp' });
          return debugStop({ kind: 'end' }, t.recTid);
        }
        if (ev.dataHash !== undefined) this.checkWrittenData(task, ev, regs);
        this.cursor.take();
        // An execve that failed when recorded: a vfork child's buffer is given back all the same.
        if (isExec(nr)) regs[R.gs_base] = leaveSharedBuffer(task, regs[R.gs_base]!) ?? regs[R.gs_base]!;
        // A fork/vfork/clone that created nothing and was restarted (a stop rewind asked for was pending
        // when it began: -ERESTARTNOINTR) is skipped like an emulated call: the restarted one follows.
        if (ev.mode === SyscallMode.Emulated || (isRestartCode(ev.result) && createsTask(nr))) {
          regs[R.orig_rax] = BigInt.asUintN(64, -1n);
          regs[R.rax] = BigInt.asUintN(64, ev.result);
          if (isRestartCode(ev.result) && !this.signalAtExitFollows(t)) restartedRegs(regs, nr, ev.result);
          task.storeRegs(regs);
          this.applyWrites(task, ev);
          t.skip(ev);
        } else {
          this.hooks?.kernelRuns?.(t);
          this.replayExecuted(t, ev, regs);
          this.hooks?.kernelRan?.(t);
        }
        return this.watchHitBy(t, ev);
      }
    }
    throw this.diverge(`expected ${describeEvent(ev)}, got syscall ${syscallName(nr)} in recorded task ${t.recTid}`);
  }

  /**
   * A debugger's watchpoint the syscall's recorded outputs hit: reported at the syscall's end, where the
   * task stands now (the kernel's writes, and the replay's, trap nothing by themselves).
   */
  private watchHitBy(t: RTask, ev: SyscallEvent): DebugStop | null {
    if (!this.hooks?.syscallWrote || ev.writes.length === 0) return null;
    if (!t.isStopped || t.parked?.kind === 'exited' || t.parked?.kind === 'killed') return null;
    // A call the syscall buffer handed to the tracer ends inside the buffer's code, never shown to a
    // debugger: not reported (a stop there would need the thread stepped out before the next event's).
    if (inSyscallbufCode(t.task.fetchRegs()[R.rip]!)) return null;
    const trap = this.hooks.syscallWrote(t.task, t.recTid, ev.writes.map((w) => ({ addr: w.addr, len: w.data.length })));
    return trap ? debugStop(trap, t.recTid) : null;
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
    replayNewTaskResult(t.task, ev, this.realTids.get(Number(ev.result)), this.diverger);
    t.waitToResume();
    t.saw({ kind: 'syscall' });
  }

  private applyWrites(task: Task, ev: SyscallEvent): void {
    for (const w of ev.writes) task.write(w.addr, w.data);
    if (ev.fileChange) this.backings.apply(ev.fileChange);
    if (ev.echo && this.opts.echo) echoWrite(task, ev);
  }

  /** A recorded signal that was pending when the task's last syscall returned: re-send it there. */
  private signalAtSyscallExit(t: RTask, ev: SignalEvent): void {
    this.cursor.take();
    t.resend(ev);
    if (t.takePresented(ev)) return;
    const sig = t.pendingSig ?? 0;
    const call = t.leaveSkipped();
    if (call) {
      // The syscall was skipped at its entry: go to its exit so the kernel sees an interrupted syscall.
      // One that waited with a temporary signal mask (pselect6, ppoll, epoll_pwait) becomes rt_sigsuspend
      // on that mask, so the signal is delivered under it and the old mask is saved in the frame (syscalls/signal-masks.ts).
      const masked = interruptUnderMask(t.task, call, ev.signo, this.diverger);
      if (!masked) skipToExit(t.task, call.result);
      const exitRegs = t.task.fetchRegs();
      for (const r of SYSCALL_ARG_REGS) exitRegs[r] = call.regs[r]!;
      exitRegs[R.orig_rax] = BigInt(call.nr);
      exitRegs[R.rax] = BigInt.asUintN(64, call.result);
      t.task.storeRegs();
      t.saw({ kind: 'syscall' });
      if (masked) {
        t.waitToResume();
        return;
      }
    }
    t.task.signal(ev.signo);
    // At the delivery stop of another signal (delivered on resume), this one comes right on top of it.
    t.waitToResume(sig);
  }

  /** A syscall that runs for real (an irregular call's replay half may act in its place, or pin its arguments). */
  private replayExecuted(t: RTask, ev: SyscallEvent, regs: BigUint64Array): void {
    const task = t.task;
    // A call whose replay half does what it did in its place (a file mapped, a segment attached: syscalls/irregular.ts).
    const irregular = irregularCall(ev.nr);
    if (irregular?.replay?.({ task, ev, entry: regs, filesDir: this.reader.filesDir, backings: this.backings, diverge: this.diverger })) {
      this.applyWrites(task, ev);
      t.saw({ kind: 'syscall' });
      this.codeChanged(t, ev);
      return;
    }
    const pinned = irregular?.runsAsRecorded?.(regs, ev) ?? NOT_PINNED;
    if (pinned.length > 0) task.storeRegs(regs);
    const pidReg = this.pointAtReplayedProcess(task, ev, regs);
    if (syscallDef(ev.nr)?.waitsForSignal) this.presendSignal(t);
    if (syscallDef(ev.nr)?.noReturn) {
      // The task never comes back; its exit is collected at its exit event (a thread-group leader's
      // exit is reported only after its other threads', whose exit events come first). Its buffer's
      // slot is free for the next thread, as when recorded.
      releaseBuffer(task, bufferOf(task));
      task.toSyscallExit();
      t.run();
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
      t.park(s);
      return;
    }
    if (s.kind !== 'syscall') throw this.diverge(`${syscallName(ev.nr)}: expected its exit, got ${describeStop(s)}`);
    t.saw({ kind: 'syscall' });
    const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
    if (result !== ev.result) {
      if (!syscallDef(ev.nr)?.keepsRecordedResult) throw this.diverge(`${syscallName(ev.nr)} returned ${result}, recorded ${ev.result}`);
      task.regs[R.rax] = BigInt.asUintN(64, ev.result);
      task.storeRegs();
    }
    if (pinned.length > 0 || pidReg !== null) {
      // The program must see its own arguments, not the pinned ones or the replay's pid.
      for (const r of pidReg !== null ? [pidReg] : pinned) task.regs[r] = ev.regs[r]!;
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

  /** A call that waits for a signal (rt_sigsuspend): the recorded one must be pending before it runs. */
  private presendSignal(t: RTask): void {
    const sig = this.nextEventOf(t);
    if (sig?.kind !== 'signal' || sig.placement !== SignalPlacement.SyscallExit) return;
    t.present(sig);
    t.task.signal(sig.signo);
  }

  /** fork, vfork, clone: creates the task for real and makes it look like the recorded one (syscalls/clone.ts). */
  private replayNewTask(t: RTask, ev: NewTaskEvent, regs: BigUint64Array): void {
    const task = t.task;
    const { child, first, clearTid, parentStop } = replayNewTask(task, ev, regs, waitStop, this.diverger);
    this.spaces.created(ev.tid, ev.child, sharesMemory(ev.nr, regs));
    const ct = this.addTask(child, ev.child);
    if (clearTid !== undefined) ct.clearTid = clearTid;
    ct.waitToResume();
    ct.saw(first);
    task.toSyscallExit();
    t.run();
    // A vfork parent waits in the kernel until its child execs or exits: its exit stop is collected at
    // its syscall event. Any other returns at once, and waits at its exit stop (a stopped task's debug
    // registers can be set; a running one's cannot).
    if (parentWaits(parentStop)) return;
    const back = waitStop(task.tid);
    if (back.kind !== 'syscall') throw this.diverge(`${syscallName(ev.nr)}: expected its exit, got ${describeStop(back)}`);
    t.park(back);
    t.saw(back);
  }

  /** execve: runs the trace's copy of the executable, then puts back the recorded initial stack and registers (syscalls/exec.ts). */
  private replayExec(t: RTask, ev: ExecEvent, entry: BigUint64Array): void {
    const task = t.task;
    const home: ExecReplay = { filesDir: this.reader.filesDir, plan: this.plan, spaces: this.spaces, diverge: this.diverger };
    const how = enterReplayExec(task, ev, entry, this.cursor.index > 1 ? null : this.reader.meta.exe, home);
    task.toSyscallExit();
    let s = this.waitExec(t, ev);
    if (s.kind === 'event') {
      t.task.toSyscallExit();
      s = waitStop(t.task.tid);
    }
    if (s.kind !== 'syscall') throw this.diverge(`execve of ${ev.path}: expected its exit, got ${describeStop(s)}`);
    finishReplayExec(t.task, ev, how, home); // t.task: the leader's tid when it took it over
    delete t.batch;
    t.clearTid = 0n; // exec drops it
    t.waitToResume();
    t.saw({ kind: 'syscall' });
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
        if (stop.kind === 'exited' || stop.kind === 'killed') u.park(stop);
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

  /** The task stopped with signal signo: replays its event there; returns the debugger stop met, if any. */
  private atSignal(t: RTask, signo: number, ev: TraceEvent): DebugStop | null {
    const task = t.task;
    const regs = task.fetchRegs();
    t.waitToResume();
    if (t.resending?.signo === signo) {
      const sent = t.takeResent()!;
      // A signal re-sent before a syscall was checked at that syscall's entry (the delivery stop sees
      // the syscall rewound); one at a syscall exit is checked here.
      if (sent.placement === SignalPlacement.SyscallExit) this.checkRegs(sent.regs, regs, `delivering signal ${signo}`, [R.orig_rax]);
      task.setSiginfo(sent.siginfo);
      return this.deliver(t, signo);
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
      return null;
    }
    if (ev.kind === 'signal' && ev.signo === signo && ev.placement === SignalPlacement.Fault && isSynchronous(signo, code)) {
      this.checkRegs(ev.regs, regs, `signal ${signo}`);
      this.cursor.take();
      task.setSiginfo(ev.siginfo);
      return this.deliver(t, signo);
    }
    // The kernel tells a replayed parent about its replayed children's real exits; the recorded
    // SIGCHLDs come from the trace instead.
    if (signo === SIG.SIGCHLD) return null;
    throw this.diverge(`expected ${describeEvent(ev)}, got signal ${signo} at 0x${regs[R.rip]!.toString(16)} in recorded task ${t.recTid}`);
  }

  /** The task is to be given signal signo on resume; a debugger may stop before that. */
  private deliver(t: RTask, signo: number): DebugStop | null {
    t.waitToResume(signo);
    return this.hooks?.reportSignal(t.recTid, signo) ? debugStop({ kind: 'signal', signo }, t.recTid) : null;
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
