// gdb layer: turns c/s/C/S/bc/bs/vCont requests into the target's ResumeRequest, applying the
// vCont rule that the first action naming a thread is the one that applies to it. Pure; imports
// nothing from rewind outside src/gdb.

import type { ResumeAction } from './requests.js';
import { gdbToLinuxSignal } from './signals.js';
import type { Direction, ResumeRequest, ThreadId } from './target.js';
import { selects, specificThread, type ThreadSelector } from './thread-id.js';

export interface ResumeContext {
  /** The Hc selection (legacy packets resume this thread). */
  continueThread: ThreadSelector;
  /** The Hg thread if alive, else the last stop's (or the first thread): the default for a step. */
  defaultThread: ThreadId | null;
  currentPid: number;
}

/** The normalised request, or an error text for an E01 reply. */
export function normalizeResume(
  direction: Direction,
  actions: readonly ResumeAction[],
  legacy: boolean,
  ctx: ResumeContext,
): ResumeRequest | string {
  const resolved = legacy ? actions.map((a) => ({ ...a, thread: ctx.continueThread })) : actions;
  const steps = resolved.filter((a) => a.action === 'step');
  const continues = resolved.filter((a) => a.action === 'continue');
  if (steps.length === 0 && continues.length === 0) return 'nothing to resume';

  const named = (a: ResumeAction) => (a.thread === null ? null : specificThread(a.thread, ctx.currentPid));
  if (steps.length > 0) {
    const first = steps[0]!;
    const thread = named(first) ?? ctx.defaultThread;
    if (thread === null) return 'no thread to step';
    if (steps.some((s) => (named(s) ?? thread).tid !== thread.tid)) {
      return 'stepping several threads at once is not supported';
    }
    // Other threads run if a continue action covers some thread besides the stepped one.
    const othersRun = continues.some((c) => c.thread === null || !isOnly(c.thread, thread, ctx.currentPid));
    const signal = toLinux(direction, first.signal);
    return typeof signal === 'string' ? signal : { direction, mode: 'step', thread, othersRun, signal };
  }

  const wildcard = continues.find((c) => c.thread === null || named(c) === null);
  const only = wildcard === undefined && continues.length === 1 ? named(continues[0]!) : null;
  const withSignal = continues.find((c) => c.signal !== 0);
  const signal = toLinux(direction, withSignal?.signal ?? 0);
  if (typeof signal === 'string') return signal;
  return { direction, mode: 'continue', thread: only, othersRun: only === null, signal };
}

function isOnly(sel: ThreadSelector, thread: ThreadId, currentPid: number): boolean {
  const t = specificThread(sel, currentPid);
  return t !== null && selects(sel, thread, currentPid) && t.tid === thread.tid;
}

function toLinux(direction: Direction, gdbSignal: number): number | string {
  if (gdbSignal === 0 || direction === 'backward') return 0;
  return gdbToLinuxSignal(gdbSignal) ?? `signal ${gdbSignal} has no Linux equivalent`;
}
