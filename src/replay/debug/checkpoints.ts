// Replay debugging: restore points. Going back in time restores the latest restore point before the
// target and re-executes from there. The beginning of the recording is always one (a fresh replay);
// while the debugger runs forward, frozen forked copies of the replayed process are kept at event
// boundaries (src/tracee/fork-copy.ts), at most one per CHECKPOINT_EVERY_MS of replay time.
// A restore makes a copy of the frozen copy, so a checkpoint serves any number of restores.
//
// Copies are taken only where the copy is exact: one live single-threaded process (a forked copy
// cannot share a tree's parent/child links, and a copied thread's clear_child_tid is not known),
// every task at a plain ptrace stop with nothing pending (no signal being re-sent, no emulated
// syscall half done), and no writable shared mapping (fork-copy refuses those).
import type { TraceReader } from '../../trace/trace-reader.js';
import { UnsupportedError } from '../../tracee/errors.js';
import { copyProcess, discardCopy, type ProcessCopy } from '../../tracee/fork-copy.js';
import { Task } from '../../tracee/task.js';
import { Replayer, type ReplayState, type RTask } from '../replayer.js';
import { boundary, type Mark, type MarkOp } from './marks.js';

/** Replay time between two kept copies. */
const CHECKPOINT_EVERY_MS = 200;
/** Copies kept; beyond, every other old one is dropped (density falls off with age, like rr's). */
const MAX_CHECKPOINTS = 24;

/** What a restore point is restored into. */
export interface Restorable {
  restart(): void;
  resumeFrom(replayer: Replayer, mark: Mark, atBreakpoint: ReadonlyMap<number, bigint>): void;
  /** Threads stopped at a breakpoint they will step over on resume (part of the state to keep). */
  readonly atBreakpoint: ReadonlyMap<number, bigint>;
}

interface Checkpoint {
  mark: Mark;
  atBreakpoint: Map<number, bigint>;
  copy: ProcessCopy;
  /** The replay loop's state, its one task being the frozen copy. */
  state: ReplayState;
}

export class Checkpoints {
  private readonly list: Checkpoint[] = [];
  private lastTaken = 0;
  /** Set when copies cannot be made here at all (then only the start is a restore point). */
  private disabled = false;

  constructor(private readonly reader: TraceReader) {}

  /** How many copies are kept. */
  get count(): number {
    return this.list.length;
  }

  /** Whether a forward run should offer a copy now. */
  due(): boolean {
    return !this.disabled && performance.now() - this.lastTaken >= CHECKPOINT_EVERY_MS;
  }

  /** At a stop (nothing armed): keeps a copy if it is time and the state allows it. */
  maybeTake(from: Restorable, replayer: Replayer, mark: Mark, force: boolean): void {
    if (this.disabled) return;
    const now = performance.now();
    if (!force && now - this.lastTaken < CHECKPOINT_EVERY_MS) return;
    if (this.list.some((c) => sameMark(c.mark, mark))) return;
    const t = copyable(replayer);
    if (!t) return;
    let copy: ProcessCopy;
    try {
      copy = copyProcess([t.task], { threads: [{ stop: t.stop! }] });
    } catch (e) {
      if (e instanceof UnsupportedError) this.disabled = true;
      return;
    }
    this.lastTaken = now;
    const state = replayer.state();
    this.list.push({ mark, atBreakpoint: new Map(from.atBreakpoint), copy, state: withTask(state, t, copy.tasks[0]!, copy) });
    this.list.sort((a, b) => (before(a.mark, b.mark) ? -1 : before(b.mark, a.mark) ? 1 : a.mark.event - b.mark.event));
    if (this.list.length > MAX_CHECKPOINTS) {
      // Thin the older half: drop every other one of them.
      const victim = this.list.splice(Math.floor(this.list.length / 4) * 2 - 1, 1)[0]!;
      discardCopy(victim.copy);
    }
  }

  /**
   * Restores the latest restore point strictly before `target` from which running forward reaches
   * it. Returns that point's mark.
   */
  restoreBefore(into: Restorable, target: Mark): Mark {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const c = this.list[i]!;
      if (!before(c.mark, target)) continue;
      const rt = c.state.tasks.find((x) => x.task === c.copy.tasks[0]);
      if (!rt) continue;
      let live: ProcessCopy;
      try {
        live = copyProcess([rt.task], { threads: [{ stop: c.copy.stops[0]! }] });
      } catch {
        continue;
      }
      into.resumeFrom(new Replayer(this.reader, { echo: false, from: withTask(c.state, rt, live.tasks[0]!, live) }), c.mark, c.atBreakpoint);
      return c.mark;
    }
    into.restart();
    return boundary(0);
  }

  discardAll(): void {
    for (const c of this.list) discardCopy(c.copy);
    this.list.length = 0;
  }
}

function sameOp(a: MarkOp, b: MarkOp): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'traps' && b.kind === 'traps') return a.n === b.n && a.spec === b.spec;
  if (a.kind === 'steps' && b.kind === 'steps') return a.n === b.n && a.tid === b.tid;
  return true;
}

function sameMark(a: Mark, b: Mark): boolean {
  return a.event === b.event && a.ops.length === b.ops.length && a.ops.every((op, i) => sameOp(op, b.ops[i]!));
}

/**
 * Whether running forward from a reaches b, a being strictly earlier: an earlier event boundary, or
 * the same boundary and a's operations a proper prefix of b's.
 */
function before(a: Mark, b: Mark): boolean {
  if (a.event !== b.event) return a.event < b.event;
  return a.ops.length < b.ops.length && a.ops.every((op, i) => sameOp(op, b.ops[i]!));
}

/** The replay's one live task, if it can be copied exactly now. */
function copyable(replayer: Replayer): RTask | null {
  const live = [...replayer.liveTasks().values()].filter((t) => t.at?.kind !== 'exited' && t.at?.kind !== 'killed');
  if (live.length !== 1) return null;
  const t = live[0]!;
  if (t.task.tid !== t.task.tgid || t.at || !t.resume || t.resume.sig !== 0 || t.resume.syscall) return null;
  if (t.resending || t.presented || t.pointReached || !replayer.settle(t)) return null;
  const k = t.stop?.kind;
  return k === 'syscall' || k === 'signal' || k === 'group-stop' ? t : null;
}

/** The state with task t replaced by a copy's (same recorded tid, the copy's real tid). */
function withTask(state: ReplayState, t: RTask, task: Task, copy: ProcessCopy): ReplayState {
  const clone: RTask = { ...t, task, stop: copy.stops[0]!, resume: { ...t.resume! }, at: null };
  return {
    ...state,
    tasks: state.tasks.map((x) => (x === t ? clone : { ...x })),
    realTids: state.realTids.map(([rec, real]) => [rec, rec === t.recTid ? task.tid : real] as [number, number]),
  };
}
