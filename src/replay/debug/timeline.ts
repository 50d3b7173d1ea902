// Replay debugging: the timeline. Drives a Replayer for a debugger: runs forward to breakpoints,
// watchpoints and single steps of one recorded process, and goes backwards by going to an earlier
// restore point and re-executing forward (replay is deterministic), remembering marks of the stops
// on the way. Positions are marks (marks.ts); every stop reported leaves `mark` naming it exactly.
// Its parts: re-executing to a mark while collecting hits (reverse-scan.ts), what is armed in the
// debugged process (trap-planting.ts), the hooks the replay loop calls (debug-hooks.ts), and the
// debugged process's threads in the live replay (debugged-process.ts).
import { X86_EFLAGS_RF } from '../../kernel/eflags.js';
import { R } from '../../kernel/regs.js';
import type { PatchedCode } from '../../patch/code-patcher.js';
import { inSyscallbufCode } from '../../syscallbuf/blob.js';
import type { ExecEvent } from '../../trace/events.js';
import { ProcessTree } from '../../trace/process-tree.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import { useHardware } from '../../tracee/capabilities.js';
import type { Task } from '../../tracee/task.js';
import { debugStop, type DebugStop } from '../debug-stepping.js';
import { isStopped } from '../replayed-task.js';
import { Replayer } from '../replayer.js';
import { Checkpoints, FINE_STEPS } from './checkpoints.js';
import { TimelineHooks } from './debug-hooks.js';
import { DebuggedProcess } from './debugged-process.js';
import { boundary, describeMark, EMPTY_SPEC, prefix, remainder, withOp, type Mark, type MarkOp, type TrapSpec, type Watch } from './marks.js';
import { QuietStretches } from './quiet.js';
import { lostStop, scan, type ScanContext } from './reverse-scan.js';
import { runToBufferCallReturn } from './syscallbuf-exit.js';
import { TimelineError } from './timeline-error.js';
import { ArmedTraps } from './trap-planting.js';

export { TimelineError } from './timeline-error.js';

/** Single steps a reverse-step may re-execute to find the previous instruction. */
const MAX_STEPS_BACK = 200_000;
/** Earlier event boundaries a reverse-step tries when the thread did not run in between. */
const MAX_BOUNDARIES_BACK = 64;
/** How often long runs yield to the event loop (so a ^C from gdb is seen). */
const YIELD_MS = 25;

export type EngineStop =
  | { kind: 'breakpoint'; recTid: number; addr: bigint }
  | { kind: 'watch'; recTid: number; watch: Watch }
  | { kind: 'step'; recTid: number }
  | { kind: 'signal'; recTid: number; signo: number }
  | { kind: 'interrupt'; recTid: number }
  | { kind: 'history'; recTid: number; edge: 'begin' | 'end' };

export interface TimelineOptions {
  /** Recorded pid of the process to debug (default: the first one). */
  pid?: number;
  /** Start at this event instead of the program's first instruction. */
  goto?: number;
  /** Re-emit the program's output while replaying (forward runs only). */
  echo?: boolean;
  /** Software watchpoints and hardware breakpoints (default: when debug registers do not work here). */
  softwareWatch?: boolean;
}

export class Timeline implements ScanContext {
  private replayer!: Replayer;
  /** Where the replay is now. */
  mark: Mark = boundary(0);
  /** The first point of the debugged process's history. */
  beginEvent = 1;
  readonly pid: number;
  private readonly process: DebuggedProcess;
  /** The breakpoints and watchpoints armed in the debugged process during a run. */
  readonly traps: ArmedTraps;
  /** What the replay loop asks the debugger (replayer.hooks). */
  readonly hooks: TimelineHooks;
  readonly quiet = new QuietStretches();
  /** Intervals between restore points that going back skipped as known to hold no hit (quiet.ts). */
  quietSkips = 0;
  private interruptRequested = false;
  /** Threads reported at a breakpoint: resuming executes the instruction under it first. */
  readonly atBreakpoint = new Map<number, bigint>();
  private lastYield = Date.now();
  readonly checkpoints: Checkpoints;
  /** The stop the debugger was last told about. */
  lastStop: EngineStop;

  constructor(private readonly reader: TraceReader, opts: TimelineOptions = {}) {
    this.checkpoints = new Checkpoints(reader);
    const first = reader.events().next();
    if (first.done) throw new TimelineError('the trace holds no events');
    this.pid = opts.pid ?? first.value.tid;
    this.process = new DebuggedProcess(this.pid, () => this.replayer);
    this.traps = new ArmedTraps(this.process, opts.softwareWatch ?? !useHardware('debug-registers'));
    this.hooks = new TimelineHooks(this.process, this.traps, this.atBreakpoint, () => this.replayer.index <= this.beginEvent);
    this.restart();
    this.runUntil(() => this.replayer.index >= 1 && this.process.realPid() !== undefined, `process ${this.pid} never appears in the recording`);
    this.beginEvent = this.replayer.index;
    this.mark = boundary(this.beginEvent);
    if (opts.goto !== undefined && opts.goto > this.beginEvent) {
      this.runUntil(() => this.replayer.index >= opts.goto! || this.replayer.finished !== null, '');
      this.toStoppedBoundary();
    }
    this.lastStop = { kind: 'signal', recTid: this.process.focusTid(), signo: 5 };
    this.checkpoints.maybeTake(this, this.replayer, this.mark, true);
  }

  // ---- what the debugger sees ----

  /**
   * Watchpoints and hardware breakpoints without debug registers (they do not fire on this machine, or
   * REWIND_SOFTWARE=debugregs): by page protection (page-watch.ts); `hbreak` is an int3.
   */
  get softwareWatch(): boolean {
    return this.traps.softwareWatch;
  }

  /** Recorded tids of the debugged process's live threads (leader first). */
  threads(): number[] {
    return this.process.threads();
  }

  /** The live task of a recorded thread of the debugged process. */
  task(recTid: number): Task {
    return this.process.task(recTid);
  }

  /** The same, for reading its registers: it must be at a stop (not waiting in the kernel). */
  stoppedTask(recTid: number): Task {
    return this.process.stoppedTask(recTid);
  }

  /** The sites rewind patched in a recorded task's code. */
  patchedCode(recTid: number): PatchedCode {
    return this.replayer.patchedCode(recTid);
  }

  /** Index of the next event to replay (rr's `when`). */
  get eventIndex(): number {
    return this.replayer.index;
  }

  /**
   * The program image the debugged process runs now: its latest exec, or for a forked child that has
   * not executed one, what it inherited (its parent's, and so on up the tree).
   */
  execEvent(): ExecEvent {
    const found = ProcessTree.of(this.reader.events(), this.replayer.index).imageOf(this.pid);
    if (!found) throw new TimelineError(`process ${this.pid} has not executed a program yet`);
    return found;
  }

  interrupt(): void {
    this.interruptRequested = true;
  }

  close(): void {
    this.traps.disarm();
    this.replayer.abandon();
    this.checkpoints.discardAll();
  }

  // ---- forward ----

  /** Runs forward until a breakpoint or watchpoint of spec, a signal, the end, or one step of stepTid. */
  async forward(spec: TrapSpec, stepTid: number | null): Promise<EngineStop> {
    this.interruptRequested = false;
    const stop = await this.run(spec, stepTid, true);
    this.lastStop = stop;
    return stop;
  }

  private async run(spec: TrapSpec, stepTid: number | null, user: boolean): Promise<EngineStop> {
    this.traps.arm(spec);
    this.hooks.stepTid = stepTid;
    const start = this.mark.ops.length ? this.mark.event + 1 : this.mark.event;
    let whole = this.traps.whole;
    let failed = false;
    // The boundary up to which nothing of spec was hit (a syscall's write hit while its event was replayed is not).
    let quietTo: number | null = null;
    try {
      for (;;) {
        if (user) await this.breathe();
        const before = this.replayer.index;
        if (this.replayer.finished) return { kind: 'history', recTid: this.process.focusTid(), edge: 'end' };
        const st = this.move();
        whole &&= this.traps.whole;
        const moved = this.replayer.index !== before;
        if (moved) {
          this.mark = boundary(this.replayer.index);
          if (user && this.checkpoints.due()) {
            // A copy must not keep the breakpoints' int3 bytes.
            this.traps.disarm();
            this.checkpoints.maybeTake(this, this.replayer, this.mark, false);
            this.traps.arm(spec);
          }
        }
        if (!st) {
          if (moved && user && this.interruptRequested && this.process.tasks().every(isStopped)) {
            return { kind: 'interrupt', recTid: this.process.focusTid() };
          }
          continue;
        }
        const stop = this.noteStop(st, spec, moved);
        if (stop?.kind === 'watch' && moved) quietTo = before;
        if (stop) return stop;
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // Up to the boundary before the stop, nothing of spec was hit.
      if (!failed && user && stepTid === null && whole && this.traps.whole) this.quiet.note(start, quietTo ?? this.mark.event, spec);
      this.hooks.stepTid = null;
      this.traps.disarm();
    }
  }

  /** Records the stop in `mark`; returns what to report (null: not the debugger's business). */
  private noteStop(st: DebugStop, spec: TrapSpec, moved: boolean): EngineStop | null {
    const trap = st.trap;
    const recTid = st.recTid;
    switch (trap.kind) {
      case 'breakpoint':
        this.mark = withOp(this.mark, { kind: 'traps', spec, n: 1 });
        return { kind: 'breakpoint', recTid, addr: trap.addr };
      case 'watch': {
        const w = this.traps.firedWatch(trap);
        // A syscall's write that hit it stops at the boundary after the syscall's event (the mark), as a step would.
        if (!moved) this.mark = withOp(this.mark, trap.step ? { kind: 'steps', tid: recTid, n: 1 } : { kind: 'traps', spec, n: 1 });
        return w ? { kind: 'watch', recTid, watch: w } : { kind: 'step', recTid };
      }
      case 'step':
        // A step that ran a syscall instruction ends at the boundary after the syscall's event.
        if (!moved) this.mark = withOp(this.mark, { kind: 'steps', tid: recTid, n: 1 });
        return { kind: 'step', recTid };
      case 'signal':
        if (!moved) this.mark = withOp(this.mark, { kind: 'signal' });
        return { kind: 'signal', recTid, signo: trap.signo };
      case 'end':
        if (this.mark.ops[this.mark.ops.length - 1]?.kind !== 'end') this.mark = withOp(this.mark, { kind: 'end' });
        return { kind: 'history', recTid, edge: 'end' };
    }
  }

  // ---- backward ----

  /** The last breakpoint or watchpoint hit of spec before now, or the beginning of history. */
  async reverseContinue(spec: TrapSpec): Promise<EngineStop> {
    this.interruptRequested = false;
    const here = this.mark;
    let end = here;
    for (;;) {
      // A stretch known to hold no hit of spec (run before with at least spec armed) is not re-executed.
      const point = this.checkpoints.latestBefore(end);
      if (end.ops.length === 0 && this.quiet.covers(point.event, end.event, spec)) {
        this.quietSkips++;
        if (point.event <= this.beginEvent && point.ops.length === 0) break;
        end = point;
        continue;
      }
      const from = this.checkpoints.restoreBefore(this, end);
      this.mark = from;
      const found = await scan(this, end, spec, () => true);
      const last = found[found.length - 1];
      if (last) {
        let target = last.mark;
        // A watchpoint's hit is after the write: going back stops before the instruction that wrote (a
        // syscall's, for a hit at an event boundary).
        if (last.watch && last.mark.ops[last.mark.ops.length - 1]?.kind !== 'steps') {
          target = (await this.stepBack(last.mark, last.recTid)) ?? last.mark;
        }
        await this.seek(target);
        this.lastStop = last.watch
          ? { kind: 'watch', recTid: last.recTid, watch: last.watch }
          : { kind: 'breakpoint', recTid: last.recTid, addr: last.addr! };
        return this.lastStop;
      }
      if ((from.event <= this.beginEvent && from.ops.length === 0) || this.interruptRequested) break;
      end = from;
    }
    await this.seek(boundary(this.beginEvent));
    this.lastStop = { kind: 'history', recTid: this.process.focusTid(), edge: 'begin' };
    return this.lastStop;
  }

  /** One instruction back in thread recTid. */
  async reverseStep(recTid: number): Promise<EngineStop> {
    this.interruptRequested = false;
    const prev = await this.stepBack(this.mark, recTid);
    if (!prev) {
      await this.seek(this.mark);
      this.lastStop = { kind: 'history', recTid, edge: 'begin' };
      return this.lastStop;
    }
    await this.seek(prev);
    this.lastStop = { kind: 'step', recTid };
    return this.lastStop;
  }

  /**
   * Goes to event boundary n, or the first one after it where the debugged process's threads are all
   * stopped (a vfork parent waits in the kernel until its child executes: nothing to show there).
   */
  async seekEvent(n: number): Promise<void> {
    await this.seek(boundary(n));
    this.toStoppedBoundary();
  }

  private toStoppedBoundary(): void {
    this.runUntil(() => this.replayer.finished !== null || this.process.tasks().every(isStopped), '');
    this.mark = boundary(this.replayer.index);
    this.outOfSyscallbuf();
  }

  /**
   * A thread left inside the syscall buffer's code at this boundary (the boundary is the event of a call
   * the buffer handed to the tracer) is taken on to the instruction after its patched site, as a stepi
   * there would: the debugger never shows the buffer's code.
   */
  private outOfSyscallbuf(): void {
    for (const tid of this.process.threads()) {
      if (!this.inSyscallbuf(tid)) continue;
      this.traps.arm(EMPTY_SPEC);
      this.hooks.stepTid = tid;
      try {
        for (;;) {
          if (this.replayer.finished) return;
          const before = this.replayer.index;
          const st = this.move();
          const moved = this.replayer.index !== before;
          if (moved) this.mark = boundary(this.replayer.index);
          if (!st) continue;
          const stop = this.noteStop(st, EMPTY_SPEC, moved);
          if (stop) break;
        }
      } finally {
        this.hooks.stepTid = null;
        this.traps.disarm();
      }
    }
  }

  /** Goes to a mark (restoring the nearest earlier checkpoint, then re-executing). */
  async seek(target: Mark): Promise<void> {
    this.checkpoints.restoreBefore(this, target);
    const current = this.mark;
    if (current.event === target.event) {
      for (const op of remainder(current, target)) await this.apply(op);
      return;
    }
    this.runUntil(() => this.replayer.index >= target.event, `cannot reach event ${target.event}`);
    if (this.replayer.index !== target.event) throw new TimelineError(`replay passed event ${target.event}`);
    this.mark = boundary(target.event);
    for (const op of target.ops) await this.apply(op);
  }

  /**
   * The mark of the instruction before `at` in thread recTid, or null at the beginning of history.
   * Finds the last time the thread was at the same pc before `at` (a breakpoint there), then steps.
   */
  private async stepBack(at: Mark, recTid: number): Promise<Mark | null> {
    const lastOp = at.ops[at.ops.length - 1];
    if (lastOp?.kind === 'steps' && lastOp.tid === recTid) {
      if (lastOp.n > 1) return { event: at.event, ops: [...at.ops.slice(0, -1), { ...lastOp, n: lastOp.n - 1 }] };
      // The step started at an event boundary inside the syscall buffer's code (the event of the call it
      // handed to the tracer): that is no instruction of the program's, so look further back.
      if (at.ops.length > 1) return prefix(at);
      await this.seek(prefix(at));
      if (!this.inSyscallbuf(recTid)) return prefix(at);
    }
    if (at.event <= this.beginEvent && at.ops.length === 0) return null;
    await this.seek(at);
    const target = this.replayer.liveTasks().get(recTid)?.task.fetchRegs().slice();
    if (!target) throw new TimelineError(`no thread ${recTid} here`);
    const pc = target[R.rip]!;
    let anchor: Mark = at.ops.length ? prefix(at) : boundary(at.event - 1);
    for (let tries = 0; tries < MAX_BOUNDARIES_BACK; tries++) {
      if (anchor.event < this.beginEvent) return null;
      await this.seek(anchor);
      const passes = await scan(this, at, { breakpoints: [pc], watches: [] }, (c) => c.recTid === recTid);
      const from = passes[passes.length - 1]?.mark ?? anchor;
      await this.seek(from);
      // Reverse steps come in runs: keep this point so the next ones re-execute only from here.
      this.checkpoints.maybeTake(this, this.replayer, this.mark, true);
      let prev = this.mark;
      let found = false;
      for (let steps = 0; steps < MAX_STEPS_BACK && this.replayer.index <= at.event; steps++) {
        // A point inside the syscall buffer's code (an event boundary a step through a patched site
        // crossed) is not one to go back to: the step from there does not start at an instruction.
        const visible = !this.inSyscallbuf(recTid);
        prev = this.mark;
        const st = await this.run(EMPTY_SPEC, recTid, false);
        if (st.kind === 'history') break;
        if (st.kind !== 'step' || st.recTid !== recTid) continue;
        this.keepFine();
        if (this.replayer.index === at.event && sameState(this.replayer.liveTasks().get(recTid)!.task.fetchRegs(), target)) {
          if (visible) return prev;
          found = true;
          break;
        }
      }
      if (found) {
        // The instruction before is before this anchor: try the boundary before it.
        anchor = anchor.ops.length ? boundary(anchor.event) : boundary(anchor.event - 1);
        continue;
      }
      if (this.replayer.index <= at.event) throw new TimelineError(`the instruction before ${describeMark(at)} is more than ${MAX_STEPS_BACK} steps back`);
      anchor = anchor.ops.length ? boundary(anchor.event) : boundary(anchor.event - 1);
      if (anchor.ops.length === 0 && anchor.event === at.event) anchor = boundary(at.event - 1);
    }
    throw new TimelineError(`thread ${recTid} did not run in the ${MAX_BOUNDARIES_BACK} events before ${describeMark(at)}`);
  }

  // ---- replay moves ----

  /** Throws away the replay and starts it again from the beginning. */
  restart(): void {
    this.atBreakpoint.clear();
    this.replayer?.abandon();
    this.traps.forget();
    this.replayer = new Replayer(this.reader, { echo: false });
    this.replayer.hooks = this.hooks;
    this.replayer.start();
    this.mark = boundary(0);
  }

  /** Continues from a checkpoint's state (the replayer is built on its copies). */
  resumeFrom(replayer: Replayer, mark: Mark, atBreakpoint: ReadonlyMap<number, bigint>): void {
    this.atBreakpoint.clear();
    for (const [tid, addr] of atBreakpoint) this.atBreakpoint.set(tid, addr);
    this.replayer?.abandon();
    this.traps.forget();
    this.replayer = replayer;
    replayer.hooks = this.hooks;
    this.mark = mark;
  }

  move(): DebugStop | null {
    const st = this.replayer.advance();
    // A step or watchpoint hit inside rewind's syscall-buffer code (a patched syscall site's stub, the
    // buffer) is not a stop the debugger sees: the thread goes on, one step or run at a time, until it
    // is back in the program's code (the instruction after the patched site). A watchpoint hit there is
    // the buffer putting a recorded output in place, which stands for the kernel's write: reported
    // there, as a syscall's write is at the syscall's end (replayer.ts).
    if (st && (st.trap.kind === 'step' || st.trap.kind === 'watch') && this.inSyscallbuf(st.recTid)) {
      // Through the buffer's C code in one run (syscallbuf-exit.ts), not a step per instruction.
      const t = this.replayer.liveTasks().get(st.recTid)!;
      const hit = runToBufferCallReturn(t, this.hooks, this.traps);
      if (st.trap.kind === 'watch') return this.outOfSyscallbufWith(st);
      return hit ? this.outOfSyscallbufWith(debugStop(hit, st.recTid)) : null;
    }
    // A thread stopped on one of our int3s steps over it when resumed, also when the stop was
    // reported by the search for a recorded point at the same address (not by trap()).
    if (st?.trap.kind === 'breakpoint' && this.traps.isPlanted(st.trap.addr)) this.atBreakpoint.set(st.recTid, st.trap.addr);
    return st;
  }

  /**
   * A watchpoint hit inside the syscall buffer's code: the thread is stepped on to the instruction after
   * its patched site (the hits on the way are the same write's) and the hit reported there, as a step
   * too when the thread was being stepped.
   */
  private outOfSyscallbufWith(hit: DebugStop): DebugStop {
    const tid = hit.recTid;
    const stepping = this.hooks.stepTid === tid;
    const saved = this.hooks.stepTid;
    this.hooks.stepTid = tid;
    try {
      for (;;) {
        const before = this.replayer.index;
        const st = this.replayer.advance();
        if (this.replayer.index !== before) throw new TimelineError(`thread ${tid} reached event ${before} inside the syscall buffer's code`);
        if (!st || (st.recTid === tid && this.inSyscallbuf(tid))) continue;
        if (st.recTid !== tid || (st.trap.kind !== 'step' && st.trap.kind !== 'watch')) {
          throw new TimelineError(`a ${st.trap.kind} stop of thread ${st.recTid} while thread ${tid} left the syscall buffer's code`);
        }
        return hit.trap.kind === 'watch' ? debugStop({ ...hit.trap, step: stepping }, tid) : hit;
      }
    } finally {
      this.hooks.stepTid = saved;
    }
  }

  /** A move while re-executing a mark's operations, which never cross an event boundary. */
  moveWithin(end: Mark): DebugStop | null {
    const before = this.replayer.index;
    const st = this.move();
    if (this.replayer.index !== before) throw new TimelineError(`replay left event ${before} while going to ${describeMark(end)}`);
    return st;
  }

  private runUntil(done: () => boolean, what: string): void {
    this.traps.arm(EMPTY_SPEC);
    while (!done()) {
      if (this.replayer.finished) throw new TimelineError(what);
      const st = this.move();
      if (st?.trap.kind === 'end') throw new TimelineError(what || 'the history ended');
    }
  }

  private async apply(op: MarkOp): Promise<void> {
    const end = withOp(this.mark, op);
    if (op.kind === 'traps') {
      this.traps.arm(op.spec);
      try {
        for (let k = 0; k < op.n;) {
          const st = this.moveWithin(end);
          if (!st) continue;
          if (st.trap.kind !== 'breakpoint' && st.trap.kind !== 'watch') throw lostStop(end, st);
          k++;
        }
      } finally {
        this.traps.disarm();
      }
    } else if (op.kind === 'steps') {
      try {
        for (let k = 0; k < op.n; k++) {
          this.hooks.stepTid = op.tid;
          let st: DebugStop | null = null;
          while (!st) st = this.moveWithin(end);
          if (st.recTid !== op.tid || st.trap.kind !== 'step') throw lostStop(end, st);
          this.mark = withOp(this.mark, { kind: 'steps', tid: op.tid, n: 1 });
          this.hooks.stepTid = null;
          this.keepFine();
        }
      } finally {
        this.hooks.stepTid = null;
      }
    } else {
      for (;;) {
        const st = this.moveWithin(end);
        if (!st) continue;
        if (st.trap.kind === op.kind) break;
        throw lostStop(end, st);
      }
    }
    this.mark = end;
  }

  /** Along single steps: keeps a fine restore point every FINE_STEPS steps (reverse steps restart there). */
  private keepFine(): void {
    const last = this.mark.ops[this.mark.ops.length - 1];
    if (last?.kind !== 'steps' || last.n % FINE_STEPS !== 0) return;
    this.checkpoints.maybeTake(this, this.replayer, this.mark, true, true);
  }

  async breathe(): Promise<void> {
    if (Date.now() - this.lastYield < YIELD_MS) return;
    await new Promise((r) => setImmediate(r));
    this.lastYield = Date.now();
  }

  /** Whether a recorded thread, stopped, is inside rewind's syscall-buffer code (never shown to the debugger). */
  inSyscallbuf(recTid: number): boolean {
    const t = this.replayer.liveTasks().get(recTid);
    if (!t || !isStopped(t)) return false;
    return inSyscallbufCode(t.task.fetchRegs()[R.rip]!);
  }

  /** The pc of a recorded thread now. */
  pcOf(recTid: number): bigint {
    return this.replayer.liveTasks().get(recTid)!.task.fetchRegs()[R.rip]!;
  }

  /** What software watchpoints cost so far, or null on the hardware path. */
  watchCost(): string | null {
    return this.traps.watchCost();
  }
}

/** Registers equal for "the same point", ignoring orig_rax and EFLAGS.RF (they differ by stop kind). */
function sameState(a: BigUint64Array, b: BigUint64Array): boolean {
  for (let i = 0; i < a.length; i++) {
    if (i === R.orig_rax) continue;
    if (i === R.eflags ? ((a[i]! ^ b[i]!) & ~X86_EFLAGS_RF) !== 0n : a[i] !== b[i]) return false;
  }
  return true;
}
