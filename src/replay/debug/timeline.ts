// Replay debugging: the timeline. Drives a Replayer for a debugger: runs forward to breakpoints,
// watchpoints and single steps of one recorded process, and goes backwards by going to an earlier
// restore point and re-executing forward (replay is deterministic), remembering marks of the stops
// on the way. Positions are marks (marks.ts); every stop reported leaves `mark` naming it exactly.
import { R } from '../../kernel/regs.js';
import { SI_KERNEL, SIG } from '../../kernel/signals.js';
import { waitStop } from '../../tracee/spawn.js';
import { describeStop, type Stop } from '../../tracee/stop.js';
import { SYS } from '../../kernel/syscall-names.js';
import type { ExecEvent, TraceEvent } from '../../trace/events.js';
import { ProcessTree } from '../../trace/process-tree.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import type { Task } from '../../tracee/task.js';
import type { PatchedCode } from '../../patch/code-patcher.js';
import { DebugStop, isStopped, Replayer, type DebugHooks, type DebugTrap, type RTask } from '../replayer.js';
import { Checkpoints, FINE_STEPS } from './checkpoints.js';
import { HwSlots } from './hw-slots.js';
import { PageWatch, type Place } from './page-watch.js';
import { useHardware } from '../../tracee/capabilities.js';
import { hasHandler } from '../../tracee/caught-signals.js';
import { QuietStretches } from './quiet.js';
import {
  boundary, describeMark, EMPTY_SPEC, prefix, remainder, sameWatch, unionSpec, withOp,
  type Mark, type MarkOp, type TrapSpec, type Watch,
} from './marks.js';

const INT3 = new Uint8Array([0xcc]);
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

/** A stop met while scanning for the last one before a point. */
interface Candidate {
  mark: Mark;
  recTid: number;
  /** A watchpoint's mark is after the writing instruction; reverse execution stops before it. */
  watch?: Watch;
  addr?: bigint;
}

export class TimelineError extends Error {}

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

export class Timeline implements DebugHooks {
  private replayer!: Replayer;
  /** Where the replay is now. */
  mark: Mark = boundary(0);
  /** The first point of the debugged process's history. */
  beginEvent = 1;
  readonly pid: number;
  private stepTid: number | null = null;
  /** What is armed, what is planted (address → original byte), and the watchpoint slots. */
  private spec: TrapSpec = EMPTY_SPEC;
  private readonly planted = new Map<bigint, number>();
  private readonly slots = new HwSlots();
  /**
   * Watchpoints and hardware breakpoints without debug registers (they do not fire on this machine, or
   * REWIND_SOFTWARE=debugregs): watched pages are protected (page-watch.ts), `hbreak` is an int3
   * reported as a hardware breakpoint.
   */
  readonly softwareWatch: boolean;
  private readonly pageWatch = new PageWatch();
  /** A software watchpoint hit by the instruction a page fault stepped, for trap() to report. */
  private softHit: { tid: number; watch: Watch } | null = null;
  /** The armed set is all in place in the debugged process (see quiet.ts). */
  private armedWhole = false;
  private readonly quiet = new QuietStretches();
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
    this.softwareWatch = opts.softwareWatch ?? !useHardware('debug-registers');
    this.checkpoints = new Checkpoints(reader);
    const first = reader.events().next();
    if (first.done) throw new TimelineError('the trace holds no events');
    this.pid = opts.pid ?? first.value.tid;
    this.restart();
    this.runUntil(() => this.replayer.index >= 1 && this.realPid() !== undefined, `process ${this.pid} never appears in the recording`);
    this.beginEvent = this.replayer.index;
    this.mark = boundary(this.beginEvent);
    if (opts.goto !== undefined && opts.goto > this.beginEvent) {
      this.runUntil(() => this.replayer.index >= opts.goto! || this.replayer.finished !== null, '');
      this.toStoppedBoundary();
    }
    this.lastStop = { kind: 'signal', recTid: this.focusTid(), signo: 5 };
    this.checkpoints.maybeTake(this, this.replayer, this.mark, true);
  }

  // ---- what the debugger sees ----

  /** Recorded tids of the debugged process's live threads (leader first). */
  threads(): number[] {
    const real = this.realPid();
    const out: number[] = [];
    for (const [rec, t] of this.replayer.liveTasks()) if (t.task.tgid === real && isAlive(t)) out.push(rec);
    return out.sort((a, b) => (a === this.pid ? -1 : b === this.pid ? 1 : a - b));
  }

  /** The live task of a recorded thread of the debugged process. */
  task(recTid: number): Task {
    const t = this.replayer.liveTasks().get(recTid);
    if (!t || t.task.tgid !== this.realPid() || !isAlive(t)) throw new TimelineError(`no thread ${recTid}`);
    return t.task;
  }

  /** The same, for reading its registers: it must be at a stop (not waiting in the kernel). */
  /** The sites rewind patched in a recorded task's code. */
  patchedCode(recTid: number): PatchedCode {
    return this.replayer.patchedCode(recTid);
  }

  stoppedTask(recTid: number): Task {
    const task = this.task(recTid);
    if (!isStopped(this.replayer.liveTasks().get(recTid)!)) {
      throw new TimelineError(`thread ${recTid} is waiting inside a system call here (a vfork parent until its child executes): its registers cannot be read`);
    }
    return task;
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
    this.disarm();
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
    this.arm(spec);
    this.stepTid = stepTid;
    const start = this.mark.ops.length ? this.mark.event + 1 : this.mark.event;
    let whole = this.armedWhole;
    let failed = false;
    try {
      for (;;) {
        if (user) await this.breathe();
        const before = this.replayer.index;
        if (this.replayer.finished) return { kind: 'history', recTid: this.focusTid(), edge: 'end' };
        const st = this.move();
        whole &&= this.armedWhole;
        const moved = this.replayer.index !== before;
        if (moved) {
          this.mark = boundary(this.replayer.index);
          if (user && this.checkpoints.due()) {
            // A copy must not keep the breakpoints' int3 bytes.
            const armed = this.spec;
            this.disarm();
            this.checkpoints.maybeTake(this, this.replayer, this.mark, false);
            this.arm(armed);
          }
        }
        if (!st) {
          if (moved && user && this.interruptRequested && this.debuggedTasks().every(isStopped)) {
            return { kind: 'interrupt', recTid: this.focusTid() };
          }
          continue;
        }
        const stop = this.noteStop(st, spec, moved);
        if (stop) return stop;
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // Up to the boundary before the stop, nothing of spec was hit.
      if (!failed && user && stepTid === null && whole && this.armedWhole) this.quiet.note(start, this.mark.event, spec);
      this.stepTid = null;
      this.disarm();
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
        const w = this.firedWatch(trap);
        if (trap.step) this.mark = withOp(this.mark, { kind: 'steps', tid: recTid, n: 1 });
        else this.mark = withOp(this.mark, { kind: 'traps', spec, n: 1 });
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
      const found = await this.scan(end, spec, () => true);
      const last = found[found.length - 1];
      if (last) {
        let target = last.mark;
        if (last.watch && !last.mark.ops.length) throw new TimelineError('a watchpoint hit at an event boundary');
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
    this.lastStop = { kind: 'history', recTid: this.focusTid(), edge: 'begin' };
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
    this.runUntil(() => this.replayer.finished !== null || this.debuggedTasks().every(isStopped), '');
    this.mark = boundary(this.replayer.index);
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
   * From the current point (a prefix of `end`, or an earlier boundary), re-executes to `end` with
   * spec armed, and returns every hit of spec on the way that `accept`s, strictly before `end`.
   */
  private async scan(end: Mark, spec: TrapSpec, accept: (c: Candidate) => boolean): Promise<Candidate[]> {
    const found: Candidate[] = [];
    const note = (c: Candidate) => { if (accept(c)) found.push(c); };
    if (this.mark.event < end.event) {
      this.arm(spec);
      const start = this.mark.ops.length ? this.mark.event + 1 : this.mark.event;
      let whole = this.armedWhole;
      let hits = 0;
      try {
        while (this.replayer.index < end.event) {
          await this.breathe();
          const before = this.replayer.index;
          const st = this.move();
          whole &&= this.armedWhole;
          if (this.replayer.index !== before) this.mark = boundary(this.replayer.index);
          if (!st) continue;
          if (st.trap.kind === 'breakpoint' || st.trap.kind === 'watch') {
            hits++;
            this.mark = withOp(this.mark, { kind: 'traps', spec, n: 1 });
            note(this.candidate(st, this.mark));
          } else if (st.trap.kind === 'signal' && this.replayer.index === before) {
            this.mark = withOp(this.mark, { kind: 'signal' });
          } else if (st.trap.kind === 'end') {
            throw new TimelineError(`the history ended before event ${end.event}`);
          }
        }
      } finally {
        this.disarm();
      }
      if (hits === 0 && whole) this.quiet.note(start, end.event, spec);
      this.mark = boundary(end.event);
    }
    const ops = end.ops;
    let first = this.mark.ops.length;
    // Restored part of the way through a run of steps (a fine restore point): the rest of it first.
    let stepsDone = 0;
    const partly = this.mark.ops[first - 1];
    const whole = ops[first - 1];
    if (partly?.kind === 'steps' && whole?.kind === 'steps' && partly.tid === whole.tid && partly.n < whole.n) {
      first--;
      stepsDone = partly.n;
    }
    for (let i = first; i < ops.length; i++) {
      const op = ops[i]!;
      const last = i === ops.length - 1;
      const base = this.mark;
      if (op.kind === 'traps') {
        const all = unionSpec(spec, op.spec);
        this.arm(all);
        let k = 0;
        let u = 0;
        try {
          while (k < op.n) {
            const st = this.moveWithin(end);
            if (!st) continue;
            if (st.trap.kind !== 'breakpoint' && st.trap.kind !== 'watch') throw this.lost(end, st);
            u++;
            const forOp = this.matches(st, op.spec);
            if (forOp) k++;
            const m = withOp(base, { kind: 'traps', spec: all, n: u });
            // The trap that ends `end` is not before it, unless it is a watchpoint's: the write came first.
            if (this.matches(st, spec) && !(last && k === op.n && forOp && st.trap.kind === 'breakpoint')) note(this.candidate(st, m));
          }
        } finally {
          this.disarm();
        }
        this.mark = withOp(base, { kind: 'traps', spec: all, n: u });
      } else if (op.kind === 'steps') {
        this.arm({ breakpoints: [], watches: spec.watches });
        this.stepTid = op.tid;
        try {
          for (let j = (i === first ? stepsDone : 0) + 1; j <= op.n; j++) {
            const beforeStep = this.mark;
            let st: DebugStop | null = null;
            while (!st) st = this.moveWithin(end);
            if (st.recTid !== op.tid || (st.trap.kind !== 'step' && !(st.trap.kind === 'watch' && st.trap.step))) throw this.lost(end, st);
            this.mark = withOp(beforeStep, { kind: 'steps', tid: op.tid, n: 1 });
            const w = st.trap.kind === 'watch' ? this.firedWatch(st.trap) : null;
            if (w && spec.watches.some((x) => sameWatch(x, w))) note({ mark: beforeStep, recTid: op.tid, watch: w });
            const pc = this.replayer.liveTasks().get(op.tid)!.task.fetchRegs()[R.rip]!;
            if (!(last && j === op.n) && spec.breakpoints.includes(pc)) note({ mark: this.mark, recTid: op.tid, addr: pc });
          }
        } finally {
          this.stepTid = null;
          this.disarm();
        }
      } else {
        // To the next signal stop or the end: spec's hits on the way count.
        this.arm(spec);
        let k = 0;
        try {
          for (;;) {
            const st = this.moveWithin(end);
            if (!st) continue;
            if (st.trap.kind === 'breakpoint' || st.trap.kind === 'watch') {
              k++;
              note(this.candidate(st, withOp(base, { kind: 'traps', spec, n: k })));
              continue;
            }
            if (st.trap.kind === op.kind) break;
            throw this.lost(end, st);
          }
        } finally {
          this.disarm();
        }
        this.mark = withOp(k ? withOp(base, { kind: 'traps', spec, n: k }) : base, op);
      }
    }
    return found;
  }

  /**
   * The mark of the instruction before `at` in thread recTid, or null at the beginning of history.
   * Finds the last time the thread was at the same pc before `at` (a breakpoint there), then steps.
   */
  private async stepBack(at: Mark, recTid: number): Promise<Mark | null> {
    const lastOp = at.ops[at.ops.length - 1];
    if (lastOp?.kind === 'steps' && lastOp.tid === recTid) {
      return lastOp.n === 1 ? prefix(at) : { event: at.event, ops: [...at.ops.slice(0, -1), { ...lastOp, n: lastOp.n - 1 }] };
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
      const passes = await this.scan(at, { breakpoints: [pc], watches: [] }, (c) => c.recTid === recTid);
      const from = passes[passes.length - 1]?.mark ?? anchor;
      await this.seek(from);
      // Reverse steps come in runs: keep this point so the next ones re-execute only from here.
      this.checkpoints.maybeTake(this, this.replayer, this.mark, true);
      let prev = this.mark;
      for (let steps = 0; steps < MAX_STEPS_BACK && this.replayer.index <= at.event; steps++) {
        prev = this.mark;
        const st = await this.run(EMPTY_SPEC, recTid, false);
        if (st.kind === 'history') break;
        if (st.kind !== 'step' || st.recTid !== recTid) continue;
        this.keepFine();
        if (this.replayer.index === at.event && sameState(this.replayer.liveTasks().get(recTid)!.task.fetchRegs(), target)) return prev;
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
    this.planted.clear();
    this.forgetPages();
    this.spec = EMPTY_SPEC;
    this.replayer = new Replayer(this.reader, { echo: false });
    this.replayer.hooks = this;
    this.replayer.start();
    this.mark = boundary(0);
  }

  /** Continues from a checkpoint's state (the replayer is built on its copies). */
  resumeFrom(replayer: Replayer, mark: Mark, atBreakpoint: ReadonlyMap<number, bigint>): void {
    this.atBreakpoint.clear();
    for (const [tid, addr] of atBreakpoint) this.atBreakpoint.set(tid, addr);
    this.replayer?.abandon();
    this.planted.clear();
    this.forgetPages();
    this.spec = EMPTY_SPEC;
    this.replayer = replayer;
    replayer.hooks = this;
    this.mark = mark;
  }

  private move(): DebugStop | null {
    try {
      this.replayer.advance();
      return null;
    } catch (e) {
      if (!(e instanceof DebugStop)) throw e;
      // A thread stopped on one of our int3s steps over it when resumed, also when the stop was
      // reported by the search for a recorded point at the same address (not by trap()).
      if (e.trap.kind === 'breakpoint' && this.planted.has(e.trap.addr)) this.atBreakpoint.set(e.recTid, e.trap.addr);
      return e;
    }
  }

  /** A move while re-executing a mark's operations, which never cross an event boundary. */
  private moveWithin(end: Mark): DebugStop | null {
    const before = this.replayer.index;
    const st = this.move();
    if (this.replayer.index !== before) throw new TimelineError(`replay left event ${before} while going to ${describeMark(end)}`);
    return st;
  }

  private lost(end: Mark, st: DebugStop): TimelineError {
    return new TimelineError(`unexpected ${st.trap.kind} stop of thread ${st.recTid} going to ${describeMark(end)}`);
  }

  private runUntil(done: () => boolean, what: string): void {
    this.arm(EMPTY_SPEC);
    while (!done()) {
      if (this.replayer.finished) throw new TimelineError(what);
      const st = this.move();
      if (st?.trap.kind === 'end') throw new TimelineError(what || 'the history ended');
    }
  }

  private async apply(op: MarkOp): Promise<void> {
    const end = withOp(this.mark, op);
    if (op.kind === 'traps') {
      this.arm(op.spec);
      try {
        for (let k = 0; k < op.n;) {
          const st = this.moveWithin(end);
          if (!st) continue;
          if (st.trap.kind !== 'breakpoint' && st.trap.kind !== 'watch') throw this.lost(end, st);
          k++;
        }
      } finally {
        this.disarm();
      }
    } else if (op.kind === 'steps') {
      try {
        for (let k = 0; k < op.n; k++) {
          this.stepTid = op.tid;
          let st: DebugStop | null = null;
          while (!st) st = this.moveWithin(end);
          if (st.recTid !== op.tid || st.trap.kind !== 'step') throw this.lost(end, st);
          this.mark = withOp(this.mark, { kind: 'steps', tid: op.tid, n: 1 });
          this.stepTid = null;
          this.keepFine();
        }
      } finally {
        this.stepTid = null;
      }
    } else {
      for (;;) {
        const st = this.moveWithin(end);
        if (!st) continue;
        if (st.trap.kind === op.kind) break;
        throw this.lost(end, st);
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

  private async breathe(): Promise<void> {
    if (Date.now() - this.lastYield < YIELD_MS) return;
    await new Promise((r) => setImmediate(r));
    this.lastYield = Date.now();
  }

  // ---- breakpoints and watchpoints ----

  private realPid(): number | undefined {
    const real = this.replayer.realTid(this.pid);
    if (real === undefined) return undefined;
    return this.replayer.liveTasks().has(this.pid) ? real : undefined;
  }

  private debuggedTasks(): RTask[] {
    const real = this.realPid();
    return [...this.replayer.liveTasks().values()].filter((t) => t.task.tgid === real && isAlive(t));
  }

  /** The debugged process's threads at a ptrace stop (one running in the kernel cannot be changed). */
  private stoppedTasks(): Task[] {
    return this.debuggedTasks().filter(isStopped).map((t) => t.task);
  }

  /** The thread a stop not tied to one is reported in: the leader if alive, else any. */
  private focusTid(): number {
    const ts = this.threads();
    return ts[0] ?? this.pid;
  }

  private arm(spec: TrapSpec): void {
    this.disarm();
    this.spec = spec;
    const tasks = this.stoppedTasks();
    this.plant(tasks[0]);
    if (this.softwareWatch) {
      this.pageWatch.set(spec.watches, this.realPid());
      this.syncPages();
    } else {
      this.slots.set(spec.watches, spec.hardware ?? [], tasks);
    }
    this.armedWhole = tasks.length > 0 && tasks.length === this.debuggedTasks().length
      && spec.breakpoints.every((a) => this.inSlot(a) || this.planted.has(a))
      && (!this.pageWatch.armed || this.pageWatch.active);
  }

  /** A hardware breakpoint in a debug register (not an int3). */
  private inSlot(addr: bigint): boolean {
    return !this.softwareWatch && this.spec.hardware?.includes(addr) === true;
  }

  /**
   * Software watchpoints: protects the watched pages when armed, gives them back their own permissions
   * when not, through a stopped thread of the debugged process (prefer: the one to use first). With
   * none stopped (a vfork parent waiting), it happens when one stops.
   */
  private syncPages(prefer?: Place): void {
    if (!this.softwareWatch) return;
    const want = this.pageWatch.armed;
    if (want === this.pageWatch.active) return;
    const place = prefer ?? this.injectionPlace();
    if (!place) return;
    if (want) this.pageWatch.protect(place);
    else this.pageWatch.unprotect(place);
  }

  /** A stopped thread of the debugged process where an mprotect can be injected, or null. */
  private injectionPlace(): Place | null {
    for (const t of this.debuggedTasks()) {
      if (!isStopped(t)) continue;
      const at = t.at ?? t.stop;
      if (!at || at.kind === 'exited' || at.kind === 'killed' || at.kind === 'event') continue;
      return { task: t.task, at, pending: at.kind === 'signal' ? t.resume?.sig ?? 0 : 0 };
    }
    return null;
  }

  /** The replayed processes were replaced (restart, restore point): nothing of ours is protected in them. */
  private forgetPages(): void {
    this.pageWatch.forget();
    this.pageWatch.set([], undefined);
    this.softHit = null;
  }

  /** Writes int3 at the armed software breakpoints (the debugged process may not exist yet). */
  private plant(task: Task | undefined): void {
    if (!task) return;
    for (const addr of this.spec.breakpoints) {
      if (this.inSlot(addr)) continue;
      const orig = task.readPartial(addr, 1);
      if (orig.length !== 1) continue;
      task.write(addr, INT3);
      this.planted.set(addr, orig[0]!);
    }
  }

  private disarm(): void {
    const tasks = this.stoppedTasks();
    const task = tasks[0];
    if (task) {
      for (const [addr, byte] of this.planted) {
        const now = task.readPartial(addr, 1);
        if (now.length === 1 && now[0] === 0xcc) task.write(addr, new Uint8Array([byte]));
      }
      this.slots.clear(tasks);
    }
    if (this.softwareWatch) {
      this.pageWatch.set([], this.pageWatch.process);
      this.syncPages();
    }
    this.planted.clear();
    this.spec = EMPTY_SPEC;
  }

  private firedWatch(trap: DebugTrap & { kind: 'watch' }): Watch | null {
    // Software: the slot is the watchpoint's index in the armed set.
    if (this.softwareWatch) return this.spec.watches[trap.slots[0] ?? -1] ?? null;
    for (const i of trap.slots) {
      const w = this.slots.watchOf(i);
      if (w) return w;
    }
    return null;
  }

  private matches(st: DebugStop, spec: TrapSpec): boolean {
    const trap = st.trap;
    if (trap.kind === 'breakpoint') return spec.breakpoints.includes(trap.addr);
    if (trap.kind === 'watch') {
      const w = this.firedWatch(trap);
      return w !== null && spec.watches.some((x) => sameWatch(x, w));
    }
    return false;
  }

  private candidate(st: DebugStop, mark: Mark): Candidate {
    const trap = st.trap;
    if (trap.kind === 'watch') return { mark, recTid: st.recTid, watch: this.firedWatch(trap) ?? undefined };
    return { mark, recTid: st.recTid, addr: trap.kind === 'breakpoint' ? trap.addr : undefined };
  }

  // ---- DebugHooks (called by the replay loop) ----

  stepping(recTid: number): boolean {
    return recTid === this.stepTid;
  }

  trap(task: Task, recTid: number, code: number): DebugTrap | null {
    if (task.tgid !== this.realPid()) return null;
    const soft = this.softHit;
    if (soft && soft.tid === task.tid) {
      this.softHit = null;
      const i = this.spec.watches.indexOf(soft.watch);
      if (i >= 0) return { kind: 'watch', slots: [i], step: recTid === this.stepTid };
    }
    if (code === SI_KERNEL) {
      const regs = task.fetchRegs();
      const addr = regs[R.rip]! - 1n;
      if (!this.planted.has(addr)) return null;
      regs[R.rip] = addr;
      task.storeRegs();
      this.atBreakpoint.set(recTid, addr);
      return { kind: 'breakpoint', addr };
    }
    if (this.softwareWatch) return recTid === this.stepTid ? { kind: 'step' } : null;
    const status = this.slots.status(task);
    // An execute slot traps before its instruction runs, with EFLAGS.RF set in the saved registers (Linux
    // does that for execute breakpoints), so resuming runs the instruction instead of trapping again.
    for (const i of status.slots) {
      const addr = this.slots.breakpointOf(i);
      if (addr !== null) return { kind: 'breakpoint', addr };
    }
    if (status.slots.length) return { kind: 'watch', slots: status.slots, step: recTid === this.stepTid };
    return recTid === this.stepTid ? { kind: 'step' } : null;
  }

  stepOverBreakpoint(task: Task, recTid: number): boolean | Stop {
    const addr = this.atBreakpoint.get(recTid);
    if (addr === undefined) return false;
    this.atBreakpoint.delete(recTid);
    const byte = this.planted.get(addr);
    if (byte === undefined || task.fetchRegs()[R.rip] !== addr) return false;
    const code = task.readPartial(addr, 2);
    // A syscall instruction runs to its seccomp stop (a single step would leave TF in r11), which the
    // replay loop then handles.
    const syscall = byte === 0x0f && code[1] === 0x05;
    task.write(addr, new Uint8Array([byte]));
    try {
      if (syscall) task.cont();
      else task.step();
      let s = waitStop(task.tid);
      if (s.kind === 'signal' && s.signal === SIG.SIGSEGV) s = this.pageFault(task) ?? s;
      if (syscall ? s.kind !== 'seccomp' : s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) {
        throw new TimelineError(`stepping over the breakpoint at 0x${addr.toString(16)}: ${describeStop(s)}`);
      }
      return syscall ? s : true;
    } finally {
      task.write(addr, INT3);
    }
  }

  breakpointAt(task: Task, addr: bigint): boolean {
    return task.tgid === this.realPid() && this.planted.has(addr);
  }

  waitsAtPoint(task: Task, recTid: number, addr: bigint): void {
    // Resuming it steps over an int3 planted there (then or later), as after a breakpoint stop.
    if (task.tgid === this.realPid()) this.atBreakpoint.set(recTid, addr);
  }

  reportSignal(recTid: number): boolean {
    return this.inDebugged(recTid);
  }

  isEnd(recTid: number, ev: TraceEvent): boolean {
    if (!this.inDebugged(recTid)) return false;
    if (ev.kind === 'exit') return ev.signal !== null;
    if (ev.kind !== 'syscall') return false;
    return ev.nr === SYS.exit_group || (ev.nr === SYS.exit && this.debuggedTasks().length === 1);
  }

  taskAdded(task: Task, recTid: number): void {
    const real = this.realPid();
    if (real === undefined) return;
    if (recTid === this.pid) {
      // The debugged process appears (forked while a scan re-executes from before it): arm it.
      this.plant(task);
      if (this.softwareWatch) {
        this.pageWatch.set(this.spec.watches, real);
        this.syncPages({ task, at: { kind: 'group-stop', signal: 0 }, pending: 0 });
      } else {
        this.slots.apply(task);
      }
    } else if (task.tgid === real) {
      if (!this.softwareWatch) this.slots.apply(task);
    } else if (task.tgid === task.tid && this.planted.size) {
      // A forked child inherits the planted breakpoints' bytes: put the program's back.
      const debugged = this.debuggedTasks()[0]?.task;
      for (const [addr, byte] of this.planted) {
        const now = task.readPartial(addr, 1);
        if (now.length === 1 && now[0] === 0xcc) task.write(addr, new Uint8Array([byte]));
        // A vfork child shares the memory: that took the breakpoint out of the debugged process too.
        if (debugged && debugged.readPartial(addr, 1)[0] !== 0xcc) this.armedWhole = false;
      }
    }
  }

  taskStopped(task: Task): void {
    if (task.tgid !== this.realPid()) return;
    if (this.softwareWatch) this.syncPages();
    else this.slots.apply(task);
  }

  execed(task: Task): void {
    if (task.tgid !== this.realPid()) return;
    // A new image: the old breakpoints are gone with the old address space. The image that starts
    // the debugged history (a scan re-executing from before it) gets them.
    this.planted.clear();
    this.armedWhole = false;
    if (this.replayer.index <= this.beginEvent) this.plant(task);
    if (this.softwareWatch) {
      this.pageWatch.forget();
      this.pageWatch.set(this.spec.watches, task.tgid);
      this.syncPages();
    } else {
      this.slots.apply(task);
    }
  }

  // ---- software watchpoints (page-watch.ts) ----

  pageFault(task: Task): Stop | null {
    if (!this.softwareWatch || !this.pageWatch.owns(task)) return null;
    const { stop, hit } = this.pageWatch.stepFaulting(task);
    if (hit && task.tgid === this.realPid()) this.softHit = { tid: task.tid, watch: hit };
    return stop;
  }

  kernelRuns(t: RTask): void {
    if (!this.softwareWatch || !this.pageWatch.active || t.task.tgid !== this.pageWatch.process) return;
    this.pageWatch.unprotect({ task: t.task, at: { kind: 'seccomp' }, pending: 0 });
  }

  kernelRan(t: RTask): void {
    if (!this.softwareWatch || !this.pageWatch.armed || this.pageWatch.active) return;
    if (t.task.tgid !== this.pageWatch.process) return;
    const at = t.at ?? t.stop;
    const own = isStopped(t) && at && (at.kind === 'syscall' || at.kind === 'group-stop') ? { task: t.task, at, pending: 0 } : undefined;
    this.syncPages(own);
  }

  liftForSignal(t: RTask, sig: number): boolean {
    if (!this.softwareWatch || !this.pageWatch.active || t.task.tgid !== this.pageWatch.process) return false;
    if (!hasHandler(t.task.tgid, sig)) return false;
    this.pageWatch.unprotect({ task: t.task, at: t.stop ?? { kind: 'signal', signal: sig }, pending: sig });
    return true;
  }

  signalDelivered(t: RTask, stop: Stop): void {
    if (stop.kind === 'exited' || stop.kind === 'killed') return;
    const pending = stop.kind === 'signal' && stop.signal !== SIG.SIGTRAP ? stop.signal : 0;
    this.syncPages(stop.kind === 'event' ? undefined : { task: t.task, at: stop, pending });
  }

  /** What software watchpoints cost so far, or null on the hardware path. */
  watchCost(): string | null {
    return this.softwareWatch ? this.pageWatch.describe() : null;
  }

  private inDebugged(recTid: number): boolean {
    const t = this.replayer.liveTasks().get(recTid);
    return t !== undefined && t.task.tgid === this.realPid();
  }
}

function isAlive(t: RTask): boolean {
  return t.at?.kind !== 'exited' && t.at?.kind !== 'killed';
}

/** Registers equal for "the same point", ignoring orig_rax and EFLAGS.RF (they differ by stop kind). */
function sameState(a: BigUint64Array, b: BigUint64Array): boolean {
  for (let i = 0; i < a.length; i++) {
    if (i === R.orig_rax) continue;
    if (i === R.eflags ? ((a[i]! ^ b[i]!) & ~0x10000n) !== 0n : a[i] !== b[i]) return false;
  }
  return true;
}
