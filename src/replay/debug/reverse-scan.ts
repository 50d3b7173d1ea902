// Replay debugging: scanning for reverse hits. From a point before a mark, re-executes to the mark with
// a set of breakpoints and watchpoints armed and collects every hit on the way, each named by a mark of
// its own; going back (timeline.ts) then seeks to the last one. The way to the mark is its event
// boundary, then each of its operations (marks.ts) re-executed by a function of its kind.
import type { DebugStop } from '../debug-stepping.js';
import type { TimelineHooks } from './debug-hooks.js';
import {
  boundary, describeMark, sameWatch, unionSpec, withOp,
  type Mark, type MarkOp, type TrapSpec, type Watch,
} from './marks.js';
import type { QuietStretches } from './quiet.js';
import { TimelineError } from './timeline-error.js';
import type { ArmedTraps } from './trap-planting.js';

/** A stop met while scanning for the last one before a point. */
export interface Candidate {
  mark: Mark;
  recTid: number;
  /** A watchpoint's mark is after the writing instruction; reverse execution stops before it. */
  watch?: Watch;
  addr?: bigint;
}

/** What a scan drives: the timeline's replay, its position and its armed traps. */
export interface ScanContext {
  mark: Mark;
  readonly eventIndex: number;
  readonly traps: ArmedTraps;
  readonly hooks: TimelineHooks;
  readonly quiet: QuietStretches;
  /** Lets the event loop run now and then (a ^C from gdb). */
  breathe(): Promise<void>;
  /** One move of the replay: null, or the debugger stop it ended at. */
  move(): DebugStop | null;
  /** The same while re-executing a mark's operations, which never cross an event boundary. */
  moveWithin(end: Mark): DebugStop | null;
  /** The pc of a recorded thread now. */
  pcOf(recTid: number): bigint;
}

/** One operation of the mark being re-executed, and what to do with the hits on the way. */
interface OpScan {
  tl: ScanContext;
  end: Mark;
  spec: TrapSpec;
  note: (c: Candidate) => void;
  /** The mark before the operation. */
  base: Mark;
  /** The operation is the mark's last: the stop that ends it is the mark, not a hit before it. */
  last: boolean;
}

/**
 * From the current point (a prefix of `end`, or an earlier boundary), re-executes to `end` with
 * spec armed, and returns every hit of spec on the way that `accept`s, strictly before `end`.
 */
export async function scan(tl: ScanContext, end: Mark, spec: TrapSpec, accept: (c: Candidate) => boolean): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const note = (c: Candidate) => { if (accept(c)) found.push(c); };
  if (tl.mark.event < end.event) await scanToBoundary(tl, end, spec, note);
  const { first, stepsDone } = resumeAt(tl.mark, end);
  for (let i = first; i < end.ops.length; i++) {
    const op = end.ops[i]!;
    const s: OpScan = { tl, end, spec, note, base: tl.mark, last: i === end.ops.length - 1 };
    if (op.kind === 'traps') scanTraps(s, op);
    else if (op.kind === 'steps') scanSteps(s, op, i === first ? stepsDone : 0);
    else scanToStop(s, op);
  }
  return found;
}

/** The error for a stop a re-execution of `end` should not meet (replay is deterministic: a bug). */
export function lostStop(end: Mark, st: DebugStop): TimelineError {
  return new TimelineError(`unexpected ${st.trap.kind} stop of thread ${st.recTid} going to ${describeMark(end)}`);
}

/** Runs to end's event boundary; an interval crossed whole without a hit is noted as quiet. */
async function scanToBoundary(tl: ScanContext, end: Mark, spec: TrapSpec, note: (c: Candidate) => void): Promise<void> {
  tl.traps.arm(spec);
  const start = tl.mark.ops.length ? tl.mark.event + 1 : tl.mark.event;
  let whole = tl.traps.whole;
  let hits = 0;
  try {
    while (tl.eventIndex < end.event) {
      await tl.breathe();
      const before = tl.eventIndex;
      const st = tl.move();
      whole &&= tl.traps.whole;
      if (tl.eventIndex !== before) tl.mark = boundary(tl.eventIndex);
      if (!st) continue;
      if (st.trap.kind === 'breakpoint' || st.trap.kind === 'watch') {
        hits++;
        // A syscall's write hit stops at the boundary after its event: that boundary is its mark.
        if (tl.eventIndex === before) tl.mark = withOp(tl.mark, { kind: 'traps', spec, n: 1 });
        note(candidate(tl.traps, st, tl.mark));
      } else if (st.trap.kind === 'signal' && tl.eventIndex === before) {
        tl.mark = withOp(tl.mark, { kind: 'signal' });
      } else if (st.trap.kind === 'end') {
        throw new TimelineError(`the history ended before event ${end.event}`);
      }
    }
  } finally {
    tl.traps.disarm();
  }
  if (hits === 0 && whole) tl.quiet.note(start, end.event, spec);
  tl.mark = boundary(end.event);
}

/**
 * The first of end's operations still to run from `at` (a prefix of end), and when `at` was restored
 * part of the way through a run of steps (a fine restore point), how many of them are done.
 */
function resumeAt(at: Mark, end: Mark): { first: number; stepsDone: number } {
  const first = at.ops.length;
  const partly = at.ops[first - 1];
  const whole = end.ops[first - 1];
  if (partly?.kind === 'steps' && whole?.kind === 'steps' && partly.tid === whole.tid && partly.n < whole.n) {
    return { first: first - 1, stepsDone: partly.n };
  }
  return { first, stepsDone: 0 };
}

/** The n-th trap of op's set, with spec armed too: its traps are counted in the union of both. */
function scanTraps(s: OpScan, op: MarkOp & { kind: 'traps' }): void {
  const { tl, end, spec, base } = s;
  const all = unionSpec(spec, op.spec);
  tl.traps.arm(all);
  let k = 0;
  let u = 0;
  try {
    while (k < op.n) {
      const st = tl.moveWithin(end);
      if (!st) continue;
      if (st.trap.kind !== 'breakpoint' && st.trap.kind !== 'watch') throw lostStop(end, st);
      u++;
      const forOp = tl.traps.matches(st, op.spec);
      if (forOp) k++;
      const m = withOp(base, { kind: 'traps', spec: all, n: u });
      // The trap that ends `end` is not before it, unless it is a watchpoint's: the write came first.
      const endsMark = s.last && k === op.n && forOp && st.trap.kind === 'breakpoint';
      if (tl.traps.matches(st, spec) && !endsMark) s.note(candidate(tl.traps, st, m));
    }
  } finally {
    tl.traps.disarm();
  }
  tl.mark = withOp(base, { kind: 'traps', spec: all, n: u });
}

/** Single steps of one thread (from `done`): a watchpoint fires in a step, a breakpoint is a pc reached. */
function scanSteps(s: OpScan, op: MarkOp & { kind: 'steps' }, done: number): void {
  const { tl, end, spec } = s;
  tl.traps.arm({ breakpoints: [], watches: spec.watches });
  tl.hooks.stepTid = op.tid;
  try {
    for (let j = done + 1; j <= op.n; j++) {
      const beforeStep = tl.mark;
      let st: DebugStop | null = null;
      while (!st) st = tl.moveWithin(end);
      if (st.recTid !== op.tid || (st.trap.kind !== 'step' && !(st.trap.kind === 'watch' && st.trap.step))) throw lostStop(end, st);
      tl.mark = withOp(beforeStep, { kind: 'steps', tid: op.tid, n: 1 });
      const w = st.trap.kind === 'watch' ? tl.traps.firedWatch(st.trap) : null;
      if (w && spec.watches.some((x) => sameWatch(x, w))) s.note({ mark: beforeStep, recTid: op.tid, watch: w });
      const pc = tl.pcOf(op.tid);
      if (!(s.last && j === op.n) && spec.breakpoints.includes(pc)) s.note({ mark: tl.mark, recTid: op.tid, addr: pc });
    }
  } finally {
    tl.hooks.stepTid = null;
    tl.traps.disarm();
  }
}

/** To the next signal stop or the end: spec's hits on the way count. */
function scanToStop(s: OpScan, op: MarkOp & { kind: 'signal' | 'end' }): void {
  const { tl, end, spec, base } = s;
  tl.traps.arm(spec);
  let k = 0;
  try {
    for (;;) {
      const st = tl.moveWithin(end);
      if (!st) continue;
      if (st.trap.kind === 'breakpoint' || st.trap.kind === 'watch') {
        k++;
        s.note(candidate(tl.traps, st, withOp(base, { kind: 'traps', spec, n: k })));
        continue;
      }
      if (st.trap.kind === op.kind) break;
      throw lostStop(end, st);
    }
  } finally {
    tl.traps.disarm();
  }
  tl.mark = withOp(k ? withOp(base, { kind: 'traps', spec, n: k }) : base, op);
}

function candidate(traps: ArmedTraps, st: DebugStop, mark: Mark): Candidate {
  const trap = st.trap;
  if (trap.kind === 'watch') return { mark, recTid: st.recTid, watch: traps.firedWatch(trap) ?? undefined };
  return { mark, recTid: st.recTid, addr: trap.kind === 'breakpoint' ? trap.addr : undefined };
}
