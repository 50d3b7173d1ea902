// Traced-process model: insulating a replay from signals nobody recorded.
//
// At replay every signal a replayed task gets is one rewind sent itself (a recorded signal re-sent with
// tgkill, SIGKILL, a copy's parked signal) or one the task raised by its own instruction (a fault, a
// trap, a breakpoint). Anything else — SIGWINCH from a resized terminal, job-control signals, a
// `kill -USR1` from elsewhere, SIGCHLD for a replayed child's real exit — is stray: at its
// signal-delivery stop it is dropped (the task is resumed as it was, with no signal) and the caller
// never sees that stop. Recording does not use this (there every signal is part of the recording).
import { PTRACE_CONT, PTRACE_GETSIGINFO } from '../kernel/ptrace.js';
import { SIG, SIGINFO, siginfoCode } from '../kernel/signals.js';
import { native } from '../native/addon.js';
import { isSynchronous } from './signal-points.js';

let insulated = false;
/** Signals rewind sent to a task (tgkill) whose delivery stop has not been seen yet, by tid. */
const sent = new Map<number, number[]>();
/** The ptrace request a task was last resumed with, by tid (a stray stop resumes it the same way). */
const lastRequest = new Map<number, number>();
/** Tasks rewind interrupted (PTRACE_INTERRUPT) whose PTRACE_EVENT_STOP has not been seen yet. */
const interrupts = new Set<number>();
const info = new Uint8Array(SIGINFO.size);
let dropped = 0;

/** Turns the filter on (replay) or off. */
export function insulate(on: boolean): void {
  insulated = on;
}

/** How many stray signals were dropped so far (for tests and diagnostics). */
export function strayDropped(): number {
  return dropped;
}

/** Task.resume reports every resume here. */
export function noteResume(tid: number, request: number): void {
  if (insulated) lastRequest.set(tid, request);
}

/** Task.signal reports every signal rewind sends here. */
export function noteSent(tid: number, signo: number): void {
  if (!insulated) return;
  const list = sent.get(tid);
  if (list) list.push(signo);
  else sent.set(tid, [signo]);
}

/** Task.interrupt reports every PTRACE_INTERRUPT here: the PTRACE_EVENT_STOP it causes is rewind's. */
export function noteInterrupt(tid: number): void {
  if (insulated) interrupts.add(tid);
}

/** A task ended, or a new one has this tid: forget what was noted about it. */
export function forgetTask(tid: number): void {
  sent.delete(tid);
  lastRequest.delete(tid);
  interrupts.delete(tid);
}

/**
 * Called with every PTRACE_EVENT_STOP a replay waits for. SIGCONT sent to a seized tracee makes it
 * trap once (a "notification" PTRACE_EVENT_STOP with SIGTRAP) whether or not the signal is then
 * delivered: when rewind did not interrupt the task and has resumed it before (a new task's first
 * stop is such a stop too, and is kept), the trap is dropped like a stray signal.
 */
export function dropIfStrayTrap(tid: number, signo: number): boolean {
  if (!insulated) return false;
  if (interrupts.delete(tid)) return false;
  const req = lastRequest.get(tid);
  if (req === undefined || signo !== SIG.SIGTRAP) return false;
  dropped++;
  return native.ptrace(req, tid, 0, 0) >= 0;
}

/**
 * Called with every signal-delivery stop a replay waits for. When the signal is stray, resumes the task
 * the way it was last resumed, without the signal, and returns true (the caller waits again).
 */
export function dropIfStray(tid: number, signo: number): boolean {
  if (!insulated) return false;
  const r = native.ptraceBuf(PTRACE_GETSIGINFO, tid, 0, info);
  if (r < 0) return false; // gone: the caller sees what waitpid says next
  if (isSynchronous(signo, siginfoCode(info))) return false;
  const list = sent.get(tid);
  const i = list ? list.indexOf(signo) : -1;
  if (i >= 0) {
    list!.splice(i, 1);
    return false;
  }
  // A signal rewind sent coalesces with a stray one of the same number already pending (one delivery
  // for both): the check above keeps it. Anything else is dropped.
  dropped++;
  const req = lastRequest.get(tid) ?? PTRACE_CONT;
  if (native.ptrace(req, tid, 0, 0) < 0) return false;
  return true;
}
