// gdb layer: thread-id syntax (gdb manual, "Packets", thread-id): hex `tid`, `-1` all, `0` any,
// and with multiprocess extensions `pPID.TID`, `pPID` (all its threads), `p-1`. Imports nothing
// from rewind outside src/gdb.

import { parseHexInt } from './encoding.js';
import type { ThreadId } from './target.js';

export type IdPart = number | 'all' | 'any';

/** A parsed thread-id; pid 'current' means the syntax had no process part. */
export interface ThreadSelector {
  pid: IdPart | 'current';
  tid: IdPart;
}

function parsePart(text: string): IdPart | null {
  if (text === '-1') return 'all';
  const n = parseHexInt(text);
  if (n === null || n > 0x7fffffff) return null;
  return n === 0 ? 'any' : n;
}

export function parseThreadId(text: string): ThreadSelector | null {
  if (text.startsWith('p')) {
    const dot = text.indexOf('.');
    const pid = parsePart(dot < 0 ? text.slice(1) : text.slice(1, dot));
    if (pid === null) return null;
    if (dot < 0) return { pid, tid: 'all' };
    const tid = parsePart(text.slice(dot + 1));
    return tid === null ? null : { pid, tid };
  }
  const tid = parsePart(text);
  return tid === null ? null : { pid: 'current', tid };
}

export function formatThreadId(thread: ThreadId, multiprocess: boolean): string {
  const tid = thread.tid.toString(16);
  return multiprocess ? `p${thread.pid.toString(16)}.${tid}` : tid;
}

/** Whether `thread` is among those `sel` names (`currentPid` fills a missing process part). */
export function selects(sel: ThreadSelector, thread: ThreadId, currentPid: number): boolean {
  const pid = sel.pid === 'current' ? currentPid : sel.pid;
  if (typeof pid === 'number' && pid !== thread.pid) return false;
  return typeof sel.tid !== 'number' || sel.tid === thread.tid;
}

/** The single thread `sel` names, if it names exactly one. */
export function specificThread(sel: ThreadSelector, currentPid: number): ThreadId | null {
  if (typeof sel.tid !== 'number') return null;
  const pid = sel.pid === 'current' ? currentPid : sel.pid;
  // `pPID.TID` names one thread; `TID` alone takes the current process.
  return { pid: typeof pid === 'number' ? pid : currentPid, tid: sel.tid };
}
