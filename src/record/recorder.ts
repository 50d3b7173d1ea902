// Recording: the supervisor loop. Runs the program's tasks under ptrace, one at a time in user space,
// and appends to the trace everything nondeterministic it observes: syscall results and memory,
// signals and where they landed, trapped rdtsc/cpuid results, new tasks, execs, and exits.
// A task that enters a blocking syscall is left waiting in the kernel while the next task runs.
// Syscall rules come from the table in src/kernel/syscalls; this file only applies them.
import { E } from '../kernel/errno.js';
import { readFileSync } from 'node:fs';
import { R, SYSCALL_ARG_REGS, syscallNr } from '../kernel/regs.js';
import { ILL_ILLOPN, KERNEL_SIGRTMIN, SI_KERNEL, SI_TKILL, SIG, siginfoCode, siginfoPid, siginfoSigno } from '../kernel/signals.js';
import { syscallName } from '../kernel/syscall-names.js';
import { syscallDef, unknownSyscall, unsupportedMessage } from '../kernel/syscalls/index.js';
import type { ExecuteCtx, SyscallDef } from '../kernel/syscalls/types.js';
import { __WALL } from '../kernel/ptrace.js';
import { INT3, repStringLength } from '../kernel/x86-insn.js';
import type { FileRef, MemWrite, SyscallEvent, TraceEvent } from '../trace/events.js';
import { SignalPlacement, SyscallMode, type TrappedInsn } from '../trace/events.js';
import type { TraceWriter } from '../trace/trace-writer.js';
import { native } from '../native/addon.js';
import { monotonicMs } from '../native/clock.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { afterCodeChange, changesCode } from '../patch/code-changes.js';
import { CodeSpaces } from '../patch/code-patcher.js';
import { applyInsnResult, decodeTrappedInsn, executeInsn } from '../tracee/insn.js';
import { getSigMask } from '../tracee/inject.js';
import { pointMemory } from '../tracee/point-memory.js';
import { decodeStatus, describeStop, type Stop } from '../tracee/stop.js';
import { atFreshFrame, isSynchronous, rewindSyscallForSignal, sameRegs } from '../tracee/signal-points.js';
import { insulate } from '../tracee/stray-signals.js';
import { Task } from '../tracee/task.js';
import { threadState } from '../tracee/proc-state.js';
import { writtenDataHash } from '../tracee/write-data.js';
import type { TrapPlan } from '../tracee/trap-plan.js';
import { SchedEmulation, type SchedAnswer } from './sched-emulation.js';
import { answerLauncherState } from './launcher-state.js';
import { ProgramSeccomp } from './program-seccomp.js';
import { programCpus } from '../tracee/spawn.js';
import { copiedBytes, echoedCopy, type EchoedCopy } from './echo-capture.js';
import { FdEcho, stdoutIsStderr } from './fd-echo.js';
import type { FileStore } from './file-store.js';
import { SharedFiles } from './shared-files.js';
import { irregularCall, NO_MAPPING } from '../syscalls/irregular.js';
import { perfEventRefusal } from '../syscalls/perf-event.js';
import { createsTask, isNewTaskStop, parentWaits, recordNewTask, sharesMemory } from '../syscalls/clone.js';
import { isExec, readExecArgs, recordExecImage, waitExecEnd } from '../syscalls/exec.js';
import { inSyscallbufCode } from '../syscallbuf/blob.js';
import { askYield, leaveSharedBuffer, markHeld, RecordsTaker, releaseBuffer } from '../syscallbuf/install.js';
import { BUFFER } from '../syscallbuf/layout.js';
import { syscallbufRefusal } from '../syscallbuf/refusals.js';
import { GuardedMemory } from './guarded-memory.js';
import { BufferSync } from './syscallbuf-sync.js';

const ENOSYS = BigInt(E.ENOSYS);
/** How long a task runs before it yields to another runnable task (at a syscall entry, or preempted). */
const TIMESLICE_MS = 50;
/** Wall time a task whose slice is used gets to reach a syscall, before it is interrupted wherever it is. */
const YIELD_GRACE_MS = 10;
/** How long the recorder waits for a syscall that may block before it lets other tasks run. */
const QUICK_MS = 1;
/** How long a write to the recording's stdout/stderr is waited for before others run: in all… */
const ECHO_WRITE_MS = 250;
/** …and once it is seen asleep (a full pipe whose reader is slow), for as long as it stays so. */
const ECHO_ASLEEP_MS = 20;
/** How long a write to the recording's stdout/stderr waits for another one already waiting for the reader. */
const ECHO_ORDER_MS = 10_000;
/** Signals whose group-stop is a job-control stop. */
const JOB_STOP_SIGNALS = new Set<number>([SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);
/** How long the recorder waits for a task seen woken in the kernel to reach its syscall-exit stop. */
const WOKEN_MS = 2;
/** How long a signal that arrived in user code is held for the task's next syscall before it is delivered in place. */
const HELD_SIGNAL_MS = 5;
/** The longest the recorder waits for a tracee before it looks at the trace writer and caught signals. */
const IDLE_MS = 100;

export interface RecordOutcome {
  exitCode: number | null;
  exitSignal: number | null;
}

/** A syscall left running in the kernel while other tasks go on. */
interface Blocked {
  nr: number;
  def: SyscallDef;
  regs: BigUint64Array;
  args: bigint[];
  /** A kernel copy to rewind's stdout/stderr: the bytes are read back after it. */
  copy: EchoedCopy | null;
}

/** askYield, false when the task is gone (its end is what waitpid reports next). */
function tryAskYield(task: Task, buffer: bigint, on: boolean): boolean {
  try {
    askYield(task, buffer, on);
    return true;
  } catch {
    return false;
  }
}

/** Per-task recording state. */
interface TaskState {
  task: Task;
  /** How to let it run again, once it is its turn (null: it is already running in the kernel). */
  resume: { syscall: boolean; sig: number } | null;
  /** A stop it is sitting at that has not been handled yet (a yield at a syscall entry). */
  parked: Stop | null;
  blocked: Blocked | null;
  /** Registers at the last syscall exit, while no user code has run since (signals landing there are exact). */
  lastExit: BigUint64Array | null;
  /** Asynchronous signals that arrived in user code, held until the task's next syscall entry. */
  held: Uint8Array[];
  /** A signal rewind re-sent to deliver a held one; its delivery stop gets the original siginfo. */
  resending: { signo: number; siginfo: Uint8Array } | null;
  /** Per-process: which fds are rewind's stdout/stderr (shared by the threads of a process). */
  echo: FdEcho;
  /** rewind sent it PTRACE_INTERRUPT (end of time slice or held signal due) and its stop has not come yet. */
  interrupted: boolean;
  /** It is parked at a syscall entry because it gave way to others: that syscall runs when its turn comes. */
  yielded: boolean;
  /** The signal it was resumed with at its last stop (a delivery), 0 if none. */
  delivered: number;
  /** Its syscall buffer's address (0n: none), whose records are taken before each of its events. */
  buffer: bigint;
  /** What its buffer's header says of held signals (null: not known, a fork child's copy or a new image's). */
  heldMarked: boolean | null;
  /**
   * It shares the memory of another process (a vfork child): the process settings its buffer could
   * read there (PROC: the stdout model, the followed files) are that process's, and are left alone.
   */
  sharedProc: boolean;
  /** The buffer whose header asks the task to give its next call to the tracer (0n: none asked). */
  yieldAsked: bigint;
}

type Next = 'continue' | 'blocked' | 'yield' | 'gone';

export class Recorder {
  private readonly tasks = new Map<number, TaskState>();
  private readonly runnable: TaskState[] = [];
  /** Tasks whose syscall entry must be written as an `enter` event before other tasks' events. */
  private pendingEnter: { st: TaskState; regs: BigUint64Array }[] = [];
  private outcome: RecordOutcome = { exitCode: null, exitSignal: null };
  private readonly leader: number;
  private sliceStart = 0;
  /** The running task's CPU time (ns) when its time slice started. */
  private sliceCpuStart = 0;
  /** sliceUsed() reads the task's CPU time only after this wall time (monotonicMs). */
  private sliceCheckAt = 0;
  /** The last CPU time read of a task at a stop, and at which (Task.resumes): a new slice from there starts at it. */
  private cpuAtStop: { task: Task; resumes: number; ns: number } | null = null;
  /** Processes a SIGSYS was delivered to (a death by SIGSYS without one was rewind's seccomp filter). */
  private readonly sigsysDelivered = new Set<number>();
  /** What rewind itself did to the program that the user must be told (one line each). */
  readonly notes: string[] = [];
  /** The patched code of each address space (rdtsc/cpuid sites where the kernel cannot trap them). */
  private readonly spaces = new CodeSpaces();
  /** Where the syscall buffers' munmap and mprotect may not act, per address space. */
  private readonly guarded = new GuardedMemory(this.spaces);
  /** The program's own CPU affinity, policy and nice requests, answered without reaching the kernel. */
  private readonly sched: SchedEmulation;
  /** What the program's own seccomp filters and no_new_privs mean for recording. */
  private readonly seccomp: ProgramSeccomp;
  /** Whether rewind's stdout and stderr are one file: writes to them share one order. */
  private readonly echoShared = stdoutIsStderr();
  /** Files the program maps shared, whose changes by emulated calls the trace must carry. */
  private readonly shared = new SharedFiles();
  /** What the syscall buffers must know of the recorder's models (fds that are its stdout, files followed). */
  private readonly bufferSync = new BufferSync(this.shared, this.guarded);
  /** Reads each batch of buffered records into one buffer (encoded into the trace before the next). */
  private readonly recordsTaker = new RecordsTaker();

  constructor(task: Task, private readonly writer: TraceWriter, private readonly files: FileStore,
    private readonly plan: TrapPlan, private readonly onIdle?: () => void) {
    insulate(false); // every signal is part of the recording
    this.leader = task.tid;
    this.sched = new SchedEmulation(programCpus(), BigInt(native.allowedCpus())); // rewind is pinned by now
    this.seccomp = new ProgramSeccomp(task.tid);
    const st = this.addTask(task, new FdEcho());
    st.parked = { kind: 'seccomp' };
    st.resume = null;
    this.runnable.push(st);
  }

  /** Runs the program to its end. The first task must be at the seccomp stop of its first execve. */
  run(): RecordOutcome {
    while (this.tasks.size > 0) {
      this.drainDeferred();
      const next = this.runnable.shift();
      if (next) {
        this.runTask(next);
        continue;
      }
      const early = this.early.entries().next();
      if (!early.done) {
        this.early.delete(early.value[0]);
        this.onBackgroundStop(early.value[0], early.value[1]);
        continue;
      }
      const tid = this.waitAny();
      if (tid < 0) throw new TraceeError(`waitpid failed (errno ${-tid}) with ${this.tasks.size} tasks left`);
      this.onBackgroundStop(tid, decodeStatus(this.status[0]!));
    }
    return this.outcome;
  }

  private addTask(task: Task, echo: FdEcho): TaskState {
    const st: TaskState = {
      task, resume: { syscall: false, sig: 0 }, parked: null, blocked: null, lastExit: null, held: [], resending: null, echo,
      interrupted: false, yielded: false, delivered: 0, buffer: 0n, heldMarked: null, sharedProc: false,
      yieldAsked: 0n,
    };
    this.tasks.set(task.tid, st);
    return st;
  }

  /**
   * Waits for the next stop of tid, handling other tasks' stops that come first (their exits must be
   * reaped: a thread-group leader's own exit is reported only after its other threads'). With ms, gives
   * up after that long and returns null.
   */
  private waitTask(tid: number, ms: number | null = null): Stop | null {
    const early = this.early.get(tid);
    if (early) {
      this.early.delete(tid);
      return early;
    }
    const i = this.deferred.findIndex(([t]) => t === tid);
    if (i >= 0) return this.deferred.splice(i, 1)[0]![1];
    const deadline = ms === null ? 0 : monotonicMs() + ms;
    for (;;) {
      let r: number;
      if (ms === null) {
        r = this.waitAny();
      } else {
        const left = deadline - monotonicMs();
        if (left <= 0) return null;
        r = native.waitpidTimeout(-1, __WALL, this.status, Math.max(1, Math.ceil(Math.min(left, IDLE_MS, this.writer.msUntilFlush()))));
        if (r === 0) {
          this.idle();
          continue;
        }
      }
      if (r < 0) throw new TraceeError(`waitpid for task ${tid} failed (errno ${-r})`);
      const stop = decodeStatus(this.status[0]!);
      if (r === tid) return stop;
      // Another task's stop is handled once the current step's event is written: what it reports (a
      // vfork parent released by its child's exec, a thread killed by exit_group) was caused by it.
      if (this.tasks.has(r)) this.deferred.push([r, stop]);
      else this.early.set(r, stop); // a new task's first stop, before its creator reported it
    }
  }

  /**
   * waitpid(-1) for the next stop of any task. While nothing comes, every IDLE_MS at most, pending
   * events are written out (so a recorder killed now loses at most ~100 ms of them) and signals the
   * recorder caught are passed on (`onIdle`).
   */
  private waitAny(): number {
    for (;;) {
      const ms = Math.max(1, Math.ceil(Math.min(IDLE_MS, this.writer.msUntilFlush())));
      const r = native.waitpidTimeout(-1, __WALL, this.status, ms);
      if (r !== 0) return r;
      this.idle();
    }
  }

  private idle(): void {
    this.writer.flushIfDue();
    this.onIdle?.();
  }

  private wait(tid: number): Stop {
    return this.waitTask(tid)!;
  }

  private readonly status = new Int32Array(1);
  private readonly early = new Map<number, Stop>();
  private readonly deferred: [number, Stop][] = [];

  private drainDeferred(): void {
    while (this.deferred.length > 0) {
      const [tid, stop] = this.deferred.shift()!;
      if (this.tasks.has(tid)) this.onBackgroundStop(tid, stop);
    }
  }

  private startSlice(st: TaskState): void {
    this.sliceStart = monotonicMs();
    this.sliceCheckAt = this.sliceStart + TIMESLICE_MS;
    // A task at a ptrace stop uses no CPU: a reading taken at this very stop (the one that ended its
    // previous slice) is exactly where this slice starts.
    const r = this.cpuAtStop;
    this.sliceCpuStart = r && r.task === st.task && r.resumes === st.task.resumes ? r.ns : this.readCpuAtStop(st.task);
  }

  /** The CPU time of a task at a ptrace stop, kept for the next slice that starts at the same stop. */
  private readCpuAtStop(task: Task): number {
    const ns = cpuTimeNs(task);
    this.cpuAtStop = { task, resumes: task.resumes, ns };
    return ns;
  }

  /**
   * Whether the running task has had its time slice: CPU time it really used, as for preemption (on a
   * busy machine wall time overstates it, and a task would give way at its first syscall after any wait).
   */
  private sliceUsed(st: TaskState): boolean {
    const now = monotonicMs();
    if (now <= this.sliceCheckAt) return false;
    const usedMs = (this.readCpuAtStop(st.task) - this.sliceCpuStart) / 1e6;
    if (usedMs >= TIMESLICE_MS * 0.9) return true;
    // CPU time grows no faster than wall time: no need to read it again before it could be used up.
    this.sliceCheckAt = now + TIMESLICE_MS * 0.9 - usedMs;
    return false;
  }

  /** Drives one task until it blocks in the kernel, yields, or ends. */
  private runTask(st: TaskState): void {
    this.startSlice(st);
    for (;;) {
      let stop = st.parked;
      st.parked = null;
      if (!stop) stop = this.resumeAndWait(st);
      let next: Next;
      try {
        next = this.handle(st, stop);
      } catch (e) {
        if (!(e instanceof TraceeError) || !e.taskGone) throw e;
        this.collectKilled(st);
        next = 'gone';
      }
      this.drainDeferred();
      if (next === 'continue') continue;
      if (next === 'yield') this.runnable.push(st);
      return;
    }
  }

  private resumeAndWait(st: TaskState): Stop {
    const r = st.resume ?? { syscall: false, sig: 0 };
    st.resume = null;
    if (st.buffer !== 0n) {
      if (!st.sharedProc) this.bufferSync.beforeRun(st.task, st.echo, this.echoWriteWaiting(st), () => this.bufferedProcesses());
      // A held signal is delivered at the next traced call: the buffer must not change the mask or a handler before.
      const held = st.held.length > 0;
      if (held !== st.heldMarked) markHeld(st.task, st.buffer, held);
      st.heldMarked = held;
    }
    if (st.yieldAsked !== 0n) {
      if (st.yieldAsked === st.buffer) tryAskYield(st.task, st.buffer, false);
      st.yieldAsked = 0n;
    }
    try {
      if (r.syscall) st.task.toSyscallExit(r.sig);
      else st.task.cont(r.sig);
    } catch {
      // The task died while stopped (SIGKILL from elsewhere): its exit is what waitpid reports next.
    }
    // A task alone with nothing held may run as long as it likes; otherwise its time is bounded.
    if (this.tasks.size <= 1 && st.held.length === 0) return this.wait(st.task.tid);
    // A held signal is due after wall time; a time slice is CPU time the task really used (on a busy
    // machine wall time overstates it, and each needless preemption is costly to find again at replay).
    const held = st.held.length > 0;
    const limit = held ? HELD_SIGNAL_MS : TIMESLICE_MS;
    const used = (): number => (held ? monotonicMs() - this.sliceStart : (cpuTimeNs(st.task) - this.sliceCpuStart) / 1e6);
    // The first wait is bounded by wall time, which the task's CPU time cannot exceed: most waits end
    // at a stop before it, and /proc's schedstat (an open, a read and a close) is read only after one
    // that does not (it cost node's recording 50 ms read at every resume).
    let left = Math.max(1, Math.ceil(limit - (monotonicMs() - this.sliceStart)));
    let graceEnd = 0;
    for (;;) {
      const stop = this.waitTask(st.task.tid, left);
      if (stop) return stop;
      if (held) break;
      if (graceEnd === 0) {
        const usedMs = used();
        if (usedMs < limit * 0.9) {
          left = Math.max(1, Math.ceil(limit - usedMs));
          continue;
        }
        // The slice is used. The task's next syscall is a better place to switch than wherever an
        // interrupt would catch it: replay reaches a syscall directly, but must search for an
        // interrupted task's point (a trap passed at every run of the instruction there, and a memory
        // hash). So it gets a little more time to reach one, its buffer told to give its next call to
        // the tracer (askYield); the syscall's entry stop then gives way (onSyscall).
        graceEnd = monotonicMs() + YIELD_GRACE_MS;
        this.sliceCheckAt = 0;
        if (st.buffer !== 0n && tryAskYield(st.task, st.buffer, true)) st.yieldAsked = st.buffer;
      }
      const rest = graceEnd - monotonicMs();
      if (rest <= 0) break;
      left = Math.max(1, Math.ceil(rest));
    }
    // The interrupt's stop may come after a stop the task reached first (a signal arriving, a syscall):
    // the flag stays until it comes, so it is never taken for a job-control stop (a seized task's
    // interrupt stop can report SIGSTOP, not SIGTRAP, as its signal).
    st.task.interrupt();
    st.interrupted = true;
    return this.wait(st.task.tid);
  }

  /** A stop of a task that is not the one running: a blocked syscall finished, or a task ended. */
  private onBackgroundStop(tid: number, stop: Stop): void {
    const st = this.tasks.get(tid);
    if (!st) return; // not ours (cannot happen: rewind has no other children while recording)
    if (stop.kind === 'exited' || stop.kind === 'killed') {
      this.onExit(st, stop);
      return;
    }
    if (st.blocked && stop.kind === 'syscall') {
      try {
        this.finishSyscall(st, st.blocked, false);
      } catch (e) {
        if (!(e instanceof TraceeError) || !e.taskGone) throw e;
        this.collectKilled(st);
        return;
      }
      st.blocked = null;
      st.resume = { syscall: false, sig: 0 };
      this.runnable.push(st);
      return;
    }
    // Anything else is handled when the task runs.
    st.parked = stop;
    st.blocked = null;
    this.runnable.push(st);
  }

  /** A task killed while it sat at a stop (by a sibling's exit_group, or SIGKILL): records its exit. */
  private collectKilled(st: TaskState): void {
    const end = this.wait(st.task.tid);
    if (end.kind !== 'exited' && end.kind !== 'killed') throw new TraceeError(`task ${st.task.tid} vanished at ${describeStop(end)}`);
    this.onExit(st, end);
  }

  /** Handles one stop of the running task and says what happens to it next. */
  private handle(st: TaskState, stop: Stop): Next {
    const delivered = st.delivered;
    if (stop.kind !== 'signal') st.delivered = 0;
    switch (stop.kind) {
      case 'seccomp':
        return this.onSyscall(st);
      case 'signal':
        this.onSignal(st, stop.signal);
        return 'continue';
      case 'exited':
      case 'killed':
        this.onExit(st, stop);
        return 'gone';
      case 'group-stop':
        if (st.interrupted) {
          st.interrupted = false;
          return this.onInterrupted(st, delivered);
        }
        if (JOB_STOP_SIGNALS.has(stop.signal)) {
          // A job-control stop (SIGSTOP, SIGTSTP…): the task really stops, as its parent may wait for,
          // until SIGCONT (or SIGKILL) comes; the tracer hears of that as a new stop of the task.
          st.task.listen();
          return 'blocked';
        }
        st.resume = { syscall: false, sig: 0 };
        return 'continue';
      case 'event':
      case 'syscall':
        // Nothing else is expected here.
        st.resume = { syscall: false, sig: 0 };
        return 'continue';
    }
  }

  /**
   * The calls the task ran in its syscall buffer since they were last taken, written right before its
   * next event: replay gives them back before running the task to the stop of that event. Taken only
   * then (not at stops that write nothing, a held signal's, an interrupt's), so one batch never holds
   * more than the buffer; and before an exec or a fork, whose new image or copy must not hold them.
   */
  private takeBuffered(st: TaskState): void {
    if (st.buffer === 0n) return;
    let taken;
    try {
      taken = this.recordsTaker.take(st.task, st.buffer);
    } catch (e) {
      if (e instanceof TraceeError) return; // gone (killed in a call): its records went with it
      throw e;
    }
    if (!taken) return;
    this.bufferSync.taken(st.task, st.echo, taken.records, taken.count);
    this.writer.append({ kind: 'buffered', tid: st.task.tid, count: taken.count, records: taken.records });
  }

  /** One task of each process that has a syscall buffer. */
  private bufferedProcesses(): Task[] {
    const byTgid = new Map<number, Task>();
    for (const s of this.tasks.values()) if (s.buffer !== 0n && !byTgid.has(s.task.tgid)) byTgid.set(s.task.tgid, s.task);
    return [...byTgid.values()];
  }

  /** Appends an event, first writing the entries of tasks waiting in the kernel if order needs them. */
  private append(ev: TraceEvent): void {
    const pending = this.pendingEnter;
    if (pending.length > 0) {
      const ownCompletion = pending.length === 1 && pending[0]!.st.task.tid === ev.tid && ev.kind === 'syscall';
      if (!ownCompletion) {
        for (const p of pending) {
          this.takeBuffered(p.st);
          this.writer.append({ kind: 'enter', tid: p.st.task.tid, regs: p.regs });
        }
      }
      this.pendingEnter = [];
    }
    if (ev.kind !== 'exit' && ev.kind !== 'exec') {
      const st = this.tasks.get(ev.tid);
      if (st) this.takeBuffered(st);
    }
    this.writer.append(ev);
  }

  private onExit(st: TaskState, stop: Stop & { kind: 'exited' | 'killed' }): void {
    const code = stop.kind === 'exited' ? stop.code : null;
    const signal = stop.kind === 'killed' ? stop.signal : null;
    this.append({ kind: 'exit', tid: st.task.tid, code, signal });
    if (signal === SIG.SIGSYS && !this.sigsysDelivered.has(st.task.tgid)) {
      // No SIGSYS was delivered: a seccomp filter killed the process outright — the launcher's, unless
      // the program has one of its own (SECCOMP_RET_KILL_*), which it then most likely was.
      this.sigsysDelivered.add(st.task.tgid);
      this.notes.push(this.seccomp.hasFilter(st.task.tid)
        ? `process ${st.task.tgid} was killed by SIGSYS: by its own seccomp filter, or by rewind's if it made a `
          + `system call through the 32-bit ABI (int 0x80)`
        : `process ${st.task.tgid} was killed by rewind's seccomp filter: it made a system call through `
          + `the 32-bit ABI (int 0x80), which rewind does not record`);
    }
    this.seccomp.exited(st.task.tid);
    this.spaces.exited(st.task.tid);
    this.guarded.exited();
    this.sched.exited(st.task.tid);
    if (st.task.tid === this.leader) this.outcome = { exitCode: code, exitSignal: signal };
    this.tasks.delete(st.task.tid);
    this.pendingEnter = this.pendingEnter.filter((p) => p.st !== st);
    const i = this.runnable.indexOf(st);
    if (i >= 0) this.runnable.splice(i, 1);
  }

  /**
   * Waits for the exit stop of a syscall that may block: at most QUICK_MS, and less once the kernel
   * shows the task asleep in it (it waits for something; the tasks that could wake it need the CPU).
   */
  private waitQuick(st: TaskState, toEcho: boolean): Stop | null {
    const start = monotonicMs();
    let asleepSince = 0;
    let step = 0.05;
    for (;;) {
      const s = this.waitTask(st.task.tid, step);
      if (s) return s;
      const now = monotonicMs();
      const asleep = threadState(st.task) === 'S';
      if (!toEcho) {
        if (asleep || now - start >= QUICK_MS) return null;
      } else {
        // A write to the recording's stdout/stderr: its place among the others' writes is what the
        // user sees, and replay re-emits in event order. On a busy CPU it may not even have run yet,
        // and it sleeps only briefly on the pipe's lock: wait, unless it really waits for the reader.
        asleepSince = asleep ? asleepSince || now : 0;
        if ((asleepSince && now - asleepSince >= ECHO_ASLEEP_MS) || now - start >= ECHO_WRITE_MS) return null;
      }
      step = Math.min(step * 2, 0.25);
    }
  }

  /** Whether a task other than st waits in the kernel in a write to rewind's stdout or stderr. */
  private echoWriteWaiting(st: TaskState): boolean {
    for (const other of this.tasks.values()) {
      const call = other.blocked;
      if (other !== st && call && other.echo.echoOf(call.def, call.args) !== 0) return true;
    }
    return false;
  }

  /**
   * Before a write to rewind's stdout or stderr enters the kernel: other tasks' writes to the same one
   * still waiting in the kernel for the reader (past the echo wait) end first, so the kernel takes the
   * bytes in the order of the events, which replay re-emits in that order (two writers woken together
   * by the reader would otherwise race for the pipe). The wait is bounded (ECHO_ORDER_MS), in case the
   * reader outside waits for something only other tasks can do; then the order may differ again.
   */
  private finishEchoWrites(st: TaskState, target: number): void {
    for (const [tid, other] of this.tasks) {
      const call = other.blocked;
      const theirs = call ? other.echo.echoOf(call.def, call.args) : 0;
      if (other === st || !theirs || (theirs !== target && !this.echoShared)) continue;
      const stop = this.waitTask(tid, ECHO_ORDER_MS);
      if (stop) this.onBackgroundStop(tid, stop);
    }
  }

  /**
   * Tasks left waiting in the kernel whose wait is over (woken by a futex wake, a write, a child's
   * exit) are runnable but need the CPU to reach their exit stop: give them a moment to, so they take
   * their turn now rather than after the tasks that are already queued run out of work.
   */
  private collectWoken(): void {
    const status = new Int32Array(1);
    for (const [tid, st] of this.tasks) {
      if (!st.blocked || this.deferred.some(([t]) => t === tid)) continue;
      if (threadState(st.task) !== 'R') continue;
      const r = native.waitpidTimeout(tid, __WALL, status, WOKEN_MS);
      if (r === tid) this.onBackgroundStop(tid, decodeStatus(status[0]!));
    }
  }

  /** The recorded threads of process tgid. */
  /** The tgids of the recording's live processes. */
  private processes(): number[] {
    return [...new Set([...this.tasks.values()].map((s) => s.task.tgid))];
  }

  private threadsOf(tgid: number): number[] {
    return [...this.tasks.values()].filter((s) => s.task.tgid === tgid).map((s) => s.task.tid);
  }

  private othersWaiting(st: TaskState): boolean {
    if (this.tasks.size <= 1) return false;
    this.collectWoken();
    // Collect finished background syscalls so they can be scheduled.
    const status = new Int32Array(1);
    for (;;) {
      const tid = native.waitpid(-1, __WALL | 1 /* WNOHANG */, status);
      if (tid <= 0) break;
      if (tid === st.task.tid) throw new TraceeError(`task ${tid} stopped while not running`);
      if (this.tasks.has(tid)) this.onBackgroundStop(tid, decodeStatus(status[0]!));
      else this.early.set(tid, decodeStatus(status[0]!));
    }
    return this.runnable.length > 0;
  }

  private onSyscall(st: TaskState): Next {
    const task = st.task;
    const regs = task.fetchRegs().slice();
    const nr = syscallNr(regs);
    const held = this.deliverableHeld(st);
    if (held >= 0) {
      this.deliverHeld(st, regs, held);
      return 'continue';
    }
    // The program's own filter answered SECCOMP_RET_TRACE: without a tracer of its own, -ENOSYS.
    if (this.seccomp.ownTrace(task.tid)) return this.answerHere(st, nr, regs, { result: -ENOSYS, writes: [] });
    const def = syscallDef(nr);
    if (!def ? !unknownSyscall(nr) : def.kind === 'unsupported') throw new UnsupportedError(unsupportedMessage(nr));
    const args = SYSCALL_ARG_REGS.map((r) => regs[r]!);
    const refusal = def?.refuse?.(args) ?? perfEventRefusal(task, nr, args);
    if (refusal) throw new UnsupportedError(`unsupported ${def!.name}: ${refusal}`);
    const unbuffered = this.plan.syscallbuf ? syscallbufRefusal(nr, args) : null;
    if (unbuffered) throw new UnsupportedError(unbuffered);
    // Let others run at a syscall entry once this task has had its time slice (or asks to yield), and
    // once they have, run the syscall (a yield handled again would only give way again, for ever).
    if (st.yielded) st.yielded = false;
    else if (def?.yields || this.sliceUsed(st)) {
      if (this.othersWaiting(st)) {
        st.yielded = true;
        st.parked = { kind: 'seccomp' };
        this.pendingEnter.push({ st, regs });
        return 'yield';
      }
      // No one to give way to: a new slice starts here (else every later syscall would read the
      // task's CPU time again, as the slice stays used up).
      this.startSlice(st);
    }
    if (!def || def.kind === 'enosys') {
      this.append(syscallEvent(task.tid, nr, SyscallMode.Emulated, regs.slice(), -ENOSYS, [], null, 0));
      regs[R.orig_rax] = BigInt.asUintN(64, -1n);
      regs[R.rax] = BigInt.asUintN(64, -ENOSYS);
      task.storeRegs(regs);
      st.lastExit = null;
      st.resume = { syscall: false, sig: 0 };
      return 'continue';
    }
    const answer = this.sched.answer(task, nr, regs, (tid) => this.tasks.has(tid)) ?? this.seccomp.answer(task, nr, regs)
      ?? answerLauncherState(task, nr, regs);
    if (answer) return this.answerHere(st, nr, regs, answer);
    if (isExec(nr) || createsTask(nr)) this.takeBuffered(st); // not into the new image, nor into a fork child's copy
    if (isExec(nr)) return this.onExec(st, regs);
    if (createsTask(nr)) return this.onClone(st, nr, def, regs);

    const echoTarget = st.echo.echoOf(def, args);
    if (echoTarget) this.finishEchoWrites(st, echoTarget);
    const call: Blocked = { nr, def, regs, args, copy: echoedCopy(task, def, args, st.echo) };

    if (def.noReturn) {
      // It never returns. Written now, so the exits of the threads exit_group kills come after it.
      this.append(syscallEvent(task.tid, nr, modeOf(def), regs, 0n, [], null, 0));
      releaseBuffer(task, st.buffer); // its records were taken right before that event
      task.toSyscallExit();
      const end = this.wait(task.tid);
      if (end.kind !== 'exited' && end.kind !== 'killed') throw new TraceeError(`${syscallName(nr)} returned (${describeStop(end)})`);
      this.onExit(st, end);
      return 'gone';
    }
    task.toSyscallExit();
    let after: Stop | null;
    if (def.blocks && this.tasks.size > 1) {
      // Most calls that may block do not: give it a moment, so its event keeps its place in order
      // (waitpid(-1) reports stops in task order, not in the order the calls finished).
      after = this.waitQuick(st, st.echo.echoOf(def, args) !== 0);
      if (!after) {
        st.blocked = call;
        this.pendingEnter.push({ st, regs });
        return 'blocked';
      }
    } else {
      after = this.wait(task.tid);
    }
    if (after.kind === 'exited' || after.kind === 'killed') {
      // exit/exit_group (or a SIGKILL while in the call): the syscall never returns.
      this.append(syscallEvent(task.tid, nr, modeOf(def), regs, 0n, [], null, 0));
      this.onExit(st, after);
      return 'gone';
    }
    if (after.kind !== 'syscall') {
      throw new TraceeError(`${syscallName(nr)}: expected its exit, got ${describeStop(after)}`);
    }
    this.finishSyscall(st, call);
    st.resume = { syscall: false, sig: 0 };
    return 'continue';
  }

  /** A syscall rewind answers itself (SchedEmulation): skipped, with its result and memory written. */
  private answerHere(st: TaskState, nr: number, regs: BigUint64Array, answer: SchedAnswer): Next {
    this.append(syscallEvent(st.task.tid, nr, SyscallMode.Emulated, regs.slice(), answer.result, answer.writes, null, 0));
    const after = regs.slice();
    after[R.orig_rax] = BigInt.asUintN(64, -1n);
    after[R.rax] = BigInt.asUintN(64, answer.result);
    st.task.storeRegs(after);
    st.lastExit = null;
    st.resume = { syscall: false, sig: 0 };
    return 'continue';
  }

  /** At a syscall's exit stop: reads its result and outputs and appends its event. */
  private finishSyscall(st: TaskState, call: Blocked, alone = true): void {
    const { nr, def, regs, args, copy } = call;
    const task = st.task;
    const exitRegs = task.fetchRegs();
    const result = BigInt.asIntN(64, exitRegs[R.rax]!);
    const writes = this.captureOutputs(task, def, args, result);
    const atExit = irregularCall(nr)?.recordExit;
    const mapping = atExit ? atExit({ task, args, result, files: this.files, shared: this.shared }) : NO_MAPPING;
    const echo = result <= 0n ? 0 : copy ? copy.echo : st.echo.echoOf(def, args);
    st.echo.update(def, args, result, task);
    this.seccomp.after(task.tid, nr, args, result, () => this.threadsOf(task.tgid));
    const mode = modeOf(def, { args, result, isRecorded: (pid) => this.tasks.has(Number(pid)) });
    const ev = syscallEvent(task.tid, nr, mode, regs, result, writes, mapping.file, echo);
    if (mapping.writable) ev.fileWritable = true;
    const change = this.shared.change(task, nr, args, result, () => this.processes());
    if (change) ev.fileChange = change;
    if (copy && result > 0n) ev.output = copiedBytes(task, copy.fdIn, copy.from, Number(result));
    // The data a write-like call took, for replay to check. Only when no other task ran while it was
    // in the kernel: one that did may have changed the buffer since.
    if (alone) {
      const hash = writtenDataHash(task, nr, args, result);
      if (hash !== null) ev.dataHash = hash;
    }
    this.append(ev);
    if (changesCode(nr)) {
      const sites = afterCodeChange(this.spaces, task.tid, task, nr, args, result, this.plan.patch);
      if (sites.length > 0) this.append({ kind: 'patch', tid: task.tid, sites });
    }
    this.guarded.after(task.tid, nr, args, result);
    st.lastExit = exitRegs.slice();
  }

  private captureOutputs(task: Task, def: SyscallDef, args: bigint[], result: bigint): MemWrite[] {
    if (!def.outputs) return [];
    const ctx = { args, result, readMem: (addr: bigint, len: number) => task.read(addr, len) };
    const writes: MemWrite[] = [];
    for (const rule of def.outputs) {
      if (result < 0n && !(rule as { onError?: boolean }).onError) continue;
      let regions;
      try {
        regions = rule(ctx);
      } catch (e) {
        throw new UnsupportedError(`${def.name}: ${(e as Error).message}`);
      }
      for (const r of regions) {
        if (r.addr === 0n || r.len <= 0) continue;
        writes.push({ addr: r.addr, data: task.read(r.addr, r.len) });
      }
    }
    return writes;
  }

  /**
   * fork, vfork, clone: the new task is announced (`newtask`) as soon as the kernel reports it, so replay
   * can create it before any of its events. A vfork parent then waits in the kernel while the child runs.
   */
  private onClone(st: TaskState, nr: number, def: SyscallDef, regs: BigUint64Array): Next {
    const task = st.task;
    task.toSyscallExit();
    let s = this.wait(task.tid);
    if (isNewTaskStop(s)) {
      const { child, buffer } = recordNewTask(task, nr, regs, (ev) => this.append(ev), (tid) => this.wait(tid));
      this.spaces.created(task.tid, child.tid, sharesMemory(nr, regs));
      this.guarded.created(task.tid, child.tid, sharesMemory(nr, regs));
      const cst = this.addTask(child, child.tgid === task.tgid ? st.echo : st.echo.clone());
      cst.buffer = buffer;
      cst.sharedProc = st.sharedProc || (sharesMemory(nr, regs) && child.tgid !== task.tgid);
      this.sched.created(task.tid, child.tid);
      this.seccomp.created(task.tid, child.tid);
      this.runnable.push(cst);
      task.toSyscallExit();
      if (parentWaits(s)) {
        // The parent stays in the kernel until the child execs or exits; its syscall event comes then.
        st.blocked = { nr, def, regs, args: SYSCALL_ARG_REGS.map((r) => regs[r]!), copy: null };
        return 'blocked';
      }
      s = this.wait(task.tid);
    }
    if (s.kind === 'exited' || s.kind === 'killed') {
      this.onExit(st, s);
      return 'gone';
    }
    if (s.kind !== 'syscall') throw new TraceeError(`${syscallName(nr)}: expected its exit, got ${describeStop(s)}`);
    this.finishSyscall(st, { nr, def, regs, args: SYSCALL_ARG_REGS.map((r) => regs[r]!), copy: null });
    st.resume = { syscall: false, sig: 0 };
    return 'continue';
  }

  /** execve: on success the trace gets an exec event holding the new image and its initial stack (syscalls/exec.ts). */
  private onExec(st: TaskState, entry: BigUint64Array): Next {
    const task = st.task;
    const nr = syscallNr(entry);
    // Pointers the kernel cannot read either make the execve fail with EFAULT (recorded as such).
    const { argv, envp } = readExecArgs(task, entry);
    const formerTid = task.tid;
    if (st.buffer !== 0n && leaveSharedBuffer(task, st.buffer) !== null) st.buffer = 0n;
    task.toSyscallExit();
    let s = this.waitExec(st);
    if (s.kind === 'event') {
      st.task.toSyscallExit();
      s = this.wait(st.task.tid);
    }
    if (s.kind === 'exited' || s.kind === 'killed') {
      this.onExit(st, s);
      return 'gone';
    }
    if (s.kind !== 'syscall') throw new TraceeError(`execve: expected its exit, got ${describeStop(s)}`);
    const result = BigInt.asIntN(64, st.task.fetchRegs()[R.rax]!);
    st.resume = { syscall: false, sig: 0 };
    if (result < 0n) {
      this.append(syscallEvent(task.tid, nr, SyscallMode.Emulated, entry, result, [], null, 0));
      st.lastExit = task.regs.slice();
      return 'continue';
    }
    if (!argv || !envp) throw new TraceeError(`execve succeeded with an argument or environment array rewind could not read`);
    this.seccomp.execed(formerTid, st.task.tid);
    const { exec, patch, buffered, maps } = recordExecImage(st.task, formerTid, argv, envp, this.files, this.plan, this.spaces);
    this.guarded.execed(st.task.tid, maps);
    st.buffer = buffered ? BUFFER : 0n;
    st.heldMarked = null;
    st.sharedProc = false;
    this.bufferSync.execed(st.task.tgid);
    this.append(exec);
    if (patch) this.append(patch);
    st.lastExit = null;
    return 'continue';
  }

  /** Waits for the end of st's execve; when st took over its leader's tid, renames it (the old leader is gone). */
  private waitExec(st: TaskState): Stop {
    const tid = st.task.tid;
    const leader = st.task.tgid;
    if (tid === leader) return this.wait(tid);
    const { stop, tookOver } = waitExecEnd(tid, leader, {
      next: () => {
        const r = this.waitAny();
        return { tid: r, stop: r < 0 ? null : decodeStatus(this.status[0]!) };
      },
      other: (r, stop) => {
        if (this.tasks.has(r)) this.deferred.push([r, stop]);
        else this.early.set(r, stop);
      },
    });
    if (!tookOver) return stop;
    st.task = new Task(leader, leader);
    const old = this.tasks.get(leader);
    if (old) {
      this.pendingEnter = this.pendingEnter.filter((p) => p.st !== old);
      const i = this.runnable.indexOf(old);
      if (i >= 0) this.runnable.splice(i, 1);
    }
    for (let i = this.deferred.length - 1; i >= 0; i--) {
      const t = this.deferred[i]![0];
      if (t === leader || t === tid) this.deferred.splice(i, 1);
    }
    this.early.delete(leader);
    this.tasks.delete(tid);
    this.tasks.set(leader, st);
    return stop;
  }

  private onSignal(st: TaskState, signo: number): void {
    const task = st.task;
    const siginfo = task.siginfo();
    const code = siginfoCode(siginfo);
    const regs = task.fetchRegs();
    st.resume = { syscall: false, sig: 0 };
    const previous = st.delivered;
    st.delivered = 0;

    // rewind re-sends a held signal with tgkill, so its copy arrives with si_code SI_TKILL from rewind's
    // own pid (a program's tgkill names the program). A real-time signal queues every instance: a real
    // one of the same number may be delivered before the copy (a POSIX timer expiring again after the
    // held instance was taken), and is a signal of its own; the copy, still queued, is the resend. (A
    // copy with nothing left to resend is dropped: its siginfo would tell the handler si_value 0.) A
    // standard signal does not queue: a pending real instance absorbs the copy, and stands for it.
    const queues = signo >= KERNEL_SIGRTMIN;
    const ownCopy = code === SI_TKILL && siginfoPid(siginfo) === process.pid;
    const resend = st.resending !== null && st.resending.signo === signo && (ownCopy || !queues);
    if (queues && ownCopy && !resend) return;
    if (st.resending && resend) {
      task.setSiginfo(st.resending.siginfo);
      st.resending = null;
      st.resume.sig = signo;
      st.delivered = signo;
      if (signo === SIG.SIGSYS) this.sigsysDelivered.add(task.tgid);
      return;
    }
    const insn = this.trappedInsn(task, signo, code, regs[R.rip]!);
    if (insn !== undefined) {
      const before = regs.slice();
      const out = executeInsn(insn, regs[R.rax]!, regs[R.rcx]!, this.plan.portable);
      this.append({ kind: 'insn', tid: task.tid, insn, regs: before, out });
      applyInsnResult(regs, insn, out);
      task.storeRegs(regs);
      st.lastExit = null;
      return;
    }
    let placement: SignalPlacement;
    if (isSynchronous(signo, code)) placement = SignalPlacement.Fault;
    else if (st.lastExit && sameRegs(st.lastExit, regs)) placement = SignalPlacement.SyscallExit;
    else if (previous !== 0 && atFreshFrame(regs, previous)) {
      // Another pending signal, delivered by the kernel on top of the frame it just built for the
      // previous one, before any user code ran: placed there exactly (holding and re-sending it would
      // queue a second copy of a real-time signal behind the others of its number).
      placement = SignalPlacement.SyscallExit;
    } else {
      // Arrived while user code ran: hold it until the next syscall entry, where replay can find the spot.
      st.held.push(siginfo);
      return;
    }
    this.append({ kind: 'signal', tid: task.tid, signo, placement, siginfo, regs: regs.slice() });
    st.lastExit = null;
    st.resume.sig = signo;
    st.delivered = signo;
    if (signo === SIG.SIGSYS) this.sigsysDelivered.add(task.tgid);
  }

  /** The instruction a signal stop is the trap of: a kernel trap (SIGSEGV) or a patched site (SIGILL). */
  private trappedInsn(task: Task, signo: number, code: number, rip: bigint): TrappedInsn | undefined {
    if (signo === SIG.SIGILL && code === ILL_ILLOPN) return this.spaces.of(task.tid).siteAt(rip);
    if (signo === SIG.SIGSEGV && code === SI_KERNEL) return decodeTrappedInsn(task, rip)?.insn;
    return undefined;
  }

  /**
   * The task ran out of time without a syscall. A held signal is delivered right here; otherwise the task
   * is preempted here if another task waits. Either way the point is identified by rip, all registers and
   * a hash of the memory a loop may keep its state in (src/tracee/point-memory.ts).
   *
   * Not where the kernel has just built a frame for the signal delivered at the task's last stop (the
   * interrupt came before the handler's first instruction): the hashed stack would hold that frame, and
   * the kernel writes the thread's last trap number, error code and cr2 into it, which differ at replay
   * (rewind's own traps). A held signal goes on top of that frame instead, as the kernel does with two
   * pending signals (replay re-sends it there without a search); a preemption waits for a later point.
   */
  /**
   * Runs the task, which stands at a rep string instruction, to `next`, the instruction after it (an
   * int3 there while it runs; nothing else runs meanwhile). True when it got there; otherwise the stop
   * that came first (a fault, a signal) is parked for the task's loop.
   */
  private runPastRepString(st: TaskState, next: bigint): boolean {
    const task = st.task;
    const original = task.readPartial(next, 1);
    if (original.length !== 1) return false;
    task.write(next, new Uint8Array([INT3]));
    let stop: Stop;
    try {
      task.cont();
      stop = this.wait(task.tid);
    } finally {
      try {
        task.write(next, original);
      } catch {
        // the task is gone (its exit is the stop)
      }
    }
    if (stop.kind === 'signal' && stop.signal === SIG.SIGTRAP) {
      const regs = task.fetchRegs();
      if (regs[R.rip] === next + 1n) {
        regs[R.rip] = next;
        task.storeRegs();
        return true;
      }
    }
    st.parked = stop;
    return false;
  }

  private onInterrupted(st: TaskState, delivered: number): Next {
    const task = st.task;
    let regs = task.fetchRegs().slice();
    st.resume = { syscall: false, sig: 0 };
    st.lastExit = null;
    if (regs[R.orig_rax] !== BigInt.asUintN(64, -1n)) return 'continue'; // inside a syscall: not a user-code point
    // Inside the syscall buffer: replay runs other code there (it takes records instead of making
    // calls), so this is no point it could find. The task is interrupted again shortly, outside.
    if (inSyscallbufCode(regs[R.rip]!)) return 'continue';
    // At a rep string instruction (`rep movsb` of a memcpy): perhaps halfway through it, a state replay's
    // breakpoint at the instruction never shows (it stops only at the start). The task runs on to the
    // instruction after it, the point instead. (Interrupted again later, a thread that spends nearly all
    // its time in long copies was never preempted.)
    const repLength = repStringLength(task.readPartial(regs[R.rip]!, 15));
    if (repLength > 0) {
      if (!this.runPastRepString(st, regs[R.rip]! + BigInt(repLength))) return 'continue';
      regs = task.fetchRegs().slice();
    }
    // A signal re-sent at an earlier stop is not delivered yet (a loaded machine may interrupt first):
    // the next held one waits for it, or resending would name the wrong signal.
    if (st.resending) return 'continue';
    const freshFrame = delivered !== 0 && atFreshFrame(regs, delivered);
    const held = this.deliverableHeld(st);
    const siginfo = held >= 0 ? st.held.splice(held, 1)[0] : undefined;
    if (siginfo && freshFrame) {
      const signo = siginfoSigno(siginfo);
      this.append({ kind: 'signal', tid: task.tid, signo, placement: SignalPlacement.SyscallExit, siginfo, regs });
      st.resending = { signo, siginfo };
      task.signal(signo);
      return 'continue';
    }
    if (freshFrame) {
      this.startSlice(st);
      return 'continue';
    }
    if (siginfo) {
      const signo = siginfoSigno(siginfo);
      const point = pointMemory(task);
      this.append({ kind: 'signal', tid: task.tid, signo, placement: SignalPlacement.Instruction, siginfo, regs, ...(point && { point }) });
      st.resending = { signo, siginfo };
      task.signal(signo);
      return 'continue';
    }
    if (!this.othersWaiting(st)) {
      this.startSlice(st);
      return 'continue';
    }
    const point = pointMemory(task);
    this.append({ kind: 'preempt', tid: task.tid, regs, ...(point && { point }) });
    return 'yield';
  }

  /**
   * The first held signal the task's mask lets through now (its index in st.held), or -1. A held
   * signal was unblocked when the kernel took it, but the task may since have entered a handler that
   * blocks it: re-sent there it would stay pending, and be delivered later than recorded.
   */
  private deliverableHeld(st: TaskState): number {
    if (st.held.length === 0) return -1;
    const mask = getSigMask(st.task);
    return st.held.findIndex((info) => {
      const bit = siginfoSigno(info) - 1;
      return ((mask[bit >> 3]! >> (bit & 7)) & 1) === 0;
    });
  }

  /**
   * Delivers a held signal just before the syscall the task is entering: the syscall is skipped and
   * rewound so it runs again after the handler returns, and the signal is re-sent so the kernel
   * delivers it on the way out (with its original siginfo restored at the delivery stop).
   */
  private deliverHeld(st: TaskState, entry: BigUint64Array, index: number): void {
    const task = st.task;
    const siginfo = st.held.splice(index, 1)[0]!;
    const signo = siginfoSigno(siginfo);
    this.append({ kind: 'signal', tid: task.tid, signo, placement: SignalPlacement.SyscallEntry, siginfo, regs: entry });
    rewindSyscallForSignal(task, entry);
    st.resending = { signo, siginfo };
    st.lastExit = null;
    task.signal(signo);
    st.resume = { syscall: false, sig: 0 };
  }
}

/** CPU time a task has used (ns), from /proc/PID/task/TID/schedstat; 0 if unreadable. */
function cpuTimeNs(task: Task): number {
  try {
    return Number(readFileSync(`/proc/${task.tgid}/task/${task.tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** How replay handles the call: the table's kind, or, after the call returned, its `executesIf` rule. */
function modeOf(def: SyscallDef, after?: ExecuteCtx): SyscallMode {
  if (def.kind === 'execute' || (after && def.executesIf?.(after))) return SyscallMode.Executed;
  return SyscallMode.Emulated;
}

function syscallEvent(tid: number, nr: number, mode: SyscallMode, regs: BigUint64Array, result: bigint,
  writes: MemWrite[], file: FileRef | null, echo: number): SyscallEvent {
  return { kind: 'syscall', tid, nr, mode, regs, result, writes, file, echo };
}
