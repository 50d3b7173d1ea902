// Replay debugging: marks, exact names for points of a replay. Replay is deterministic, so a point is
// named by how to get there: an event boundary (the state right after the replay loop reached event
// index `event`), then operations that each move forward from there: the n-th debugger trap of a set of
// breakpoints and watchpoints, n single-steps of one thread, or running to the end of the history.
// A mark never crosses an event boundary after its first: reaching a new event restarts it.

export type WatchKind = 'write' | 'read' | 'access';

export interface Watch {
  readonly addr: bigint;
  readonly len: number;
  readonly kind: WatchKind;
}

/** The breakpoints (addresses) and watchpoints armed in the debugged process. */
export interface TrapSpec {
  readonly breakpoints: readonly bigint[];
  readonly watches: readonly Watch[];
  /**
   * Those of `breakpoints` put in debug registers (execute slots, gdb's hbreak) instead of int3. Either
   * kind traps once per pass through its address, so a mark counts them alike.
   */
  readonly hardware?: readonly bigint[];
}

export type MarkOp =
  | { readonly kind: 'traps'; readonly spec: TrapSpec; readonly n: number }
  | { readonly kind: 'steps'; readonly tid: number; readonly n: number }
  /** Run (nothing armed) to the next signal stop (a re-sent signal's delivery) or to the end. */
  | { readonly kind: 'signal' }
  | { readonly kind: 'end' };

export interface Mark {
  readonly event: number;
  readonly ops: readonly MarkOp[];
}

export const EMPTY_SPEC: TrapSpec = { breakpoints: [], watches: [] };

export function boundary(event: number): Mark {
  return { event, ops: [] };
}

/** The mark one operation further; consecutive steps of one thread and traps of one set merge. */
export function withOp(m: Mark, op: MarkOp): Mark {
  const last = m.ops[m.ops.length - 1];
  if (last && op.kind === 'steps' && last.kind === 'steps' && last.tid === op.tid) {
    return { event: m.event, ops: [...m.ops.slice(0, -1), { kind: 'steps', tid: op.tid, n: last.n + op.n }] };
  }
  if (last && op.kind === 'traps' && last.kind === 'traps' && last.spec === op.spec) {
    return { event: m.event, ops: [...m.ops.slice(0, -1), { kind: 'traps', spec: op.spec, n: last.n + op.n }] };
  }
  return { event: m.event, ops: [...m.ops, op] };
}

function sameOp(a: MarkOp, b: MarkOp): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'traps' && b.kind === 'traps') return a.n === b.n && a.spec === b.spec;
  if (a.kind === 'steps' && b.kind === 'steps') return a.n === b.n && a.tid === b.tid;
  return true;
}

export function sameMark(a: Mark, b: Mark): boolean {
  return a.event === b.event && a.ops.length === b.ops.length && a.ops.every((op, i) => sameOp(op, b.ops[i]!));
}

/** Steps of the same thread, fewer in a than in b: a is part of the way to b. */
function fewerSteps(a: MarkOp, b: MarkOp): boolean {
  return a.kind === 'steps' && b.kind === 'steps' && a.tid === b.tid && a.n < b.n;
}

/**
 * Whether running forward from a reaches b, a being strictly earlier: an earlier event boundary, or
 * the same boundary and a's operations a proper prefix of b's (a's last may be fewer steps of the
 * same thread than b's operation there).
 */
export function precedes(a: Mark, b: Mark): boolean {
  if (a.event !== b.event) return a.event < b.event;
  if (a.ops.length > b.ops.length) return false;
  const last = a.ops.length - 1;
  if (!a.ops.every((op, i) => i === last || sameOp(op, b.ops[i]!))) return false;
  if (last < 0) return b.ops.length > 0;
  return fewerSteps(a.ops[last]!, b.ops[last]!) || (sameOp(a.ops[last]!, b.ops[last]!) && a.ops.length < b.ops.length);
}

/** The operations that take a replay at `from` to `to` (precedes(from, to), same event). */
export function remainder(from: Mark, to: Mark): MarkOp[] {
  const k = from.ops.length;
  const last = from.ops[k - 1];
  const there = to.ops[k - 1];
  if (last?.kind === 'steps' && there?.kind === 'steps' && last.tid === there.tid && last.n < there.n) {
    return [{ kind: 'steps', tid: there.tid, n: there.n - last.n }, ...to.ops.slice(k)];
  }
  return to.ops.slice(k);
}

/** The mark without its last operation. */
export function prefix(m: Mark): Mark {
  return { event: m.event, ops: m.ops.slice(0, -1) };
}

export function sameWatch(a: Watch, b: Watch): boolean {
  return a.addr === b.addr && a.len === b.len && a.kind === b.kind;
}

export function unionSpec(a: TrapSpec, b: TrapSpec): TrapSpec {
  const hardware = [...new Set([...(a.hardware ?? []), ...(b.hardware ?? [])])];
  return {
    breakpoints: [...new Set([...a.breakpoints, ...b.breakpoints])],
    watches: [...a.watches, ...b.watches.filter((w) => !a.watches.some((x) => sameWatch(x, w)))],
    ...(hardware.length ? { hardware } : {}),
  };
}

export function describeMark(m: Mark): string {
  const ops = m.ops.map((op) => (op.kind === 'traps' ? `${op.n} trap(s)` : op.kind === 'steps' ? `${op.n} step(s) of ${op.tid}` : `to the ${op.kind}`));
  return [`event ${m.event}`, ...ops].join(', ');
}
