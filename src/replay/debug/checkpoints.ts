// Replay debugging: restore points. Going back in time restores the latest restore point before the
// target and re-executes from there. The beginning of the recording is always one (a fresh replay);
// while the debugger runs forward, frozen forked copies of the replayed process are kept at event
// boundaries (src/tracee/fork-copy.ts), at most one per CHECKPOINT_EVERY_MS of replay time.
// A restore makes a copy of the frozen copy, so a checkpoint serves any number of restores.
//
// A checkpoint copies every live process of the replay (fork-copy.ts: all threads of each). Copies
// are taken only where they are exact: every task at a plain ptrace stop with nothing pending (no
// signal being re-sent, no emulated syscall half done) or parked at the entry of a syscall the replay
// will finish later, no task ended but not yet replayed as ended, and no writable shared mapping
// (fork-copy refuses those), nor any shared backing of a recorded file (src/replay/shared-backings.ts):
// from the first, no copies are taken and going back re-executes from the earlier ones or the start.
// A copy's kernel parent is its original's parent (CLONE_PARENT), not the copy of that parent: replay
// emulates everything that would show it (getppid, wait4, SIGCHLD).
import type { TraceReader } from '../../trace/trace-reader.js';
import { TraceeError, UnsupportedError } from '../../tracee/errors.js';
import { copyProcess, discardCopy, type ProcessCopy } from '../../tracee/fork-copy.js';
import type { RTask } from '../replayed-task.js';
import { Replayer, type ReplayState } from '../replayer.js';
import { boundary, precedes, sameMark, type Mark } from './marks.js';

/** Replay time between two kept copies. */
const CHECKPOINT_EVERY_MS = 200;
/** Copies kept; beyond, every other old one is dropped (density falls off with age, like rr's). */
const MAX_CHECKPOINTS = 24;
/**
 * Fine copies kept along runs of single steps (every FINE_STEPS steps of a thread), so a reverse-step
 * re-executes at most that many steps. Kept apart from the others, and fewer.
 */
export const FINE_STEPS = 256;
const MAX_FINE = 32;

/** What a restore point is restored into. */
export interface Restorable {
  restart(): void;
  resumeFrom(replayer: Replayer, mark: Mark, atBreakpoint: ReadonlyMap<number, bigint>): void;
  /** Threads stopped at a breakpoint they will step over on resume (part of the state to keep). */
  readonly atBreakpoint: ReadonlyMap<number, bigint>;
}

interface Checkpoint {
  mark: Mark;
  /** Taken along single steps (see FINE_STEPS). */
  fine: boolean;
  atBreakpoint: Map<number, bigint>;
  /** One frozen copy per live process. */
  copies: ProcessCopy[];
  /** The replay loop's state, its tasks being the frozen copies' threads. */
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

  /** One line for a user: how many restore points are kept, of how many processes. */
  describe(): string {
    if (this.disabled) return 'Restore points: only the start (this replay cannot be copied)';
    if (this.list.length === 0) return 'Restore points: the start';
    const procs = Math.max(...this.list.map((c) => c.copies.length));
    const tasks = Math.max(...this.list.map((c) => c.state.tasks.length));
    return `Restore points: the start and ${this.list.length} copies (of up to ${procs} process(es), ${tasks} task(s))`;
  }

  /** Whether a forward run should offer a copy now. */
  due(): boolean {
    return !this.disabled && performance.now() - this.lastTaken >= CHECKPOINT_EVERY_MS;
  }

  /** At a stop (nothing armed): keeps a copy if it is time and the state allows it. */
  maybeTake(from: Restorable, replayer: Replayer, mark: Mark, force: boolean, fine = false): void {
    if (this.disabled) return;
    const now = performance.now();
    if (!force && now - this.lastTaken < CHECKPOINT_EVERY_MS) return;
    if (this.list.some((c) => sameMark(c.mark, mark))) return;
    if (replayer.sharesFiles) {
      // A recorded file mapped shared lives in one backing whose content moves on with the replay: a
      // copy of the processes would not have the backing as it was. Going back re-executes instead.
      this.disabled = true;
      return;
    }
    const groups = copyable(replayer);
    if (!groups) return;
    const state = replayer.state();
    let made: { copies: ProcessCopy[]; state: ReplayState };
    try {
      made = copyAll(state, groups);
    } catch (e) {
      if (e instanceof UnsupportedError) this.disabled = true;
      else if (!(e instanceof TraceeError)) throw e;
      return;
    }
    if (!fine) this.lastTaken = now;
    this.list.push({ mark, fine, atBreakpoint: new Map(from.atBreakpoint), copies: made.copies, state: made.state });
    this.list.sort((a, b) => (precedes(a.mark, b.mark) ? -1 : precedes(b.mark, a.mark) ? 1 : a.mark.event - b.mark.event));
    if (fine) this.thinFine(mark);
    else this.thinCoarse();
  }

  private drop(victim: Checkpoint): void {
    this.list.splice(this.list.indexOf(victim), 1);
    for (const c of victim.copies) discardCopy(c);
  }

  private thinCoarse(): void {
    const coarse = this.list.filter((c) => !c.fine);
    // Thin the older half: drop every other one of them.
    if (coarse.length > MAX_CHECKPOINTS) this.drop(coarse[Math.floor(coarse.length / 4) * 2 - 1]!);
  }

  /**
   * Reverse steps go back from the newest fine copy to older ones, so the fine copies after the one
   * just taken are the least useful (going back has passed them); then the oldest go.
   */
  private thinFine(taken: Mark): void {
    const fine = this.list.filter((c) => c.fine);
    if (fine.length <= MAX_FINE) return;
    const later = fine.filter((c) => precedes(taken, c.mark));
    this.drop(later[later.length - 1] ?? fine[0]!);
  }

  /**
   * Restores the latest restore point strictly before `target` from which running forward reaches
   * it. Returns that point's mark.
   */
  /** The mark of the latest restore point strictly before target (the start: boundary 0). */
  latestBefore(target: Mark): Mark {
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (precedes(this.list[i]!.mark, target)) return this.list[i]!.mark;
    }
    return boundary(0);
  }

  restoreBefore(into: Restorable, target: Mark): Mark {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const c = this.list[i]!;
      if (!precedes(c.mark, target)) continue;
      let live: { copies: ProcessCopy[]; state: ReplayState };
      try {
        live = copyAll(c.state, groupsOf(c.state.tasks));
      } catch (e) {
        if (!(e instanceof TraceeError)) throw e;
        continue;
      }
      into.resumeFrom(new Replayer(this.reader, { echo: false, from: live.state }), c.mark, c.atBreakpoint);
      return c.mark;
    }
    into.restart();
    return boundary(0);
  }

  discardAll(): void {
    for (const c of this.list) for (const p of c.copies) discardCopy(p);
    this.list.length = 0;
  }
}

/** The replay's live tasks by process, if every one can be copied exactly now. */
function copyable(replayer: Replayer): RTask[][] | null {
  const tasks = [...replayer.liveTasks().values()];
  if (tasks.length === 0) return null;
  for (const t of tasks) {
    if (t.resending || t.presented || t.pointReached) return null;
    const parked = t.parked;
    if (parked) {
      // Parked at the entry of a syscall whose end is a later event.
      if (parked.kind !== 'seccomp') return null;
      continue;
    }
    // Not stopped (running in the kernel towards a stop the replay loop will wait for), or about to
    // get a signal.
    if (t.pendingSig !== 0 || !replayer.settle(t)) return null;
    const k = t.stop?.kind;
    if (k !== 'syscall' && k !== 'signal' && k !== 'group-stop') return null;
  }
  return groupsOf(tasks);
}

function groupsOf(tasks: readonly RTask[]): RTask[][] {
  const groups = new Map<number, RTask[]>();
  for (const t of tasks) {
    const g = groups.get(t.task.tgid);
    if (g) g.push(t);
    else groups.set(t.task.tgid, [t]);
  }
  return [...groups.values()];
}

/**
 * Copies every process (groups: the tasks of each), and returns the copies and the replay state with
 * each task replaced by its copy (same recorded tid, the copy's real tid and stop).
 */
function copyAll(state: ReplayState, groups: readonly RTask[][]): { copies: ProcessCopy[]; state: ReplayState } {
  const copies: ProcessCopy[] = [];
  const byRec = new Map<number, RTask>();
  try {
    for (const g of groups) {
      const copy = copyProcess(g.map((t) => t.task), { threads: g.map((t) => ({ stop: t.stop!, clearTid: t.clearTid })) });
      copies.push(copy);
      g.forEach((t, i) => {
        const stop = copy.stops[i]!;
        byRec.set(t.recTid, t.copyTo(copy.tasks[i]!, stop));
      });
    }
  } catch (e) {
    for (const c of copies) discardCopy(c);
    throw e;
  }
  return {
    copies,
    state: {
      ...state,
      tasks: state.tasks.map((t) => byRec.get(t.recTid) ?? t.copyTo()),
      realTids: state.realTids.map(([rec, real]) => [rec, byRec.get(rec)?.task.tid ?? real] as [number, number]),
    },
  };
}
