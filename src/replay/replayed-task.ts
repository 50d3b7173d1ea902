// Replay: a replayed task and where it stands between two events of the replay loop (replayer.ts).
// Its position is one value of `Position`, changed only by the named transitions of `RTask`; the
// debugger (src/replay/debug/) and checkpoints read it. Imports the tracee and trace layers only.
import type { BufferedEvent, SignalEvent, SyscallEvent } from '../trace/events.js';
import type { Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';

/** Where a replayed task stands. */
export type Position =
  /** At a stop its next event uses (parked by an `enter` event, an early exit, a clone's exit, the launch). */
  | { readonly kind: 'parked'; readonly at: Stop }
  /**
   * At a ptrace stop, resumed with signal `sig` (0: none) when its next event is due. `skipped`: the
   * emulated syscall at whose seccomp stop it sits, skipped with the recorded result.
   */
  | { readonly kind: 'waiting'; readonly sig: number; readonly skipped: SyscallEvent | null }
  /** Running in the kernel (a vfork parent, an exiting task, one just resumed whose stop is not handled yet). */
  | { readonly kind: 'running' };

const RUNNING: Position = { kind: 'running' };

/** A replayed task. */
export class RTask {
  private position: Position = RUNNING;
  /** The ptrace stop it was last seen at (kept while it is resumed), for checkpoints and the debugger. */
  private lastStop: Stop | undefined;
  /** A signal replay re-sent; its delivery stop gets the recorded siginfo. */
  private sent: SignalEvent | null = null;
  /** A recorded signal already re-sent ahead of time (before an rt_sigsuspend ran). */
  private early: SignalEvent | null = null;
  /** A debugger stop was reported at the preemption/signal point this task was run to. */
  private reported = false;
  /**
   * Its clear_child_tid (set_tid_address, clone's CLONE_CHILD_CLEARTID; 0 after exec and for a plain
   * fork): a copy of the task needs it, and the kernel does not tell a tracer.
   */
  clearTid?: bigint;
  /**
   * Calls given to its syscall buffer (`buffered` events), to be used up by the stop of its next event:
   * the first event's index and the events.
   */
  batch?: { index: number; events: BufferedEvent[]; given: number };

  /** recTid: its tid in the recording (replay's tids differ). */
  constructor(public task: Task, public recTid: number) {}

  get pos(): Position {
    return this.position;
  }

  /** The stop it is parked at, or null. */
  get parked(): Stop | null {
    return this.position.kind === 'parked' ? this.position.at : null;
  }

  /** The signal it is to be resumed with when waiting (0: none); null when not waiting. */
  get pendingSig(): number | null {
    return this.position.kind === 'waiting' ? this.position.sig : null;
  }

  /** The emulated syscall it sits at the seccomp stop of, skipped; null otherwise. */
  get skipped(): SyscallEvent | null {
    return this.position.kind === 'waiting' ? this.position.skipped : null;
  }

  /** Whether it sits at a ptrace stop (else it runs in the kernel, e.g. a vfork parent). */
  get isStopped(): boolean {
    return this.position.kind !== 'running';
  }

  /** The ptrace stop it sits at: the parked one, else the last one seen. */
  get stop(): Stop | undefined {
    return this.parked ?? this.lastStop;
  }

  get resending(): SignalEvent | null {
    return this.sent;
  }

  get presented(): SignalEvent | null {
    return this.early;
  }

  get pointReached(): boolean {
    return this.reported;
  }

  // --- Transitions of the position. ---

  /** It sits at `at`, which its next event uses. */
  park(at: Stop): void {
    this.position = { kind: 'parked', at };
  }

  /** It waits at a ptrace stop, to be resumed with signal sig (0: none) when its next event is due. */
  waitToResume(sig = 0): void {
    this.position = { kind: 'waiting', sig, skipped: null };
  }

  /** It waits at the seccomp stop of the emulated syscall ev, skipped with the recorded result. */
  skip(ev: SyscallEvent): void {
    this.position = { kind: 'waiting', sig: 0, skipped: ev };
  }

  /** Its skipped syscall is over (it was taken to the exit, or it is interrupted): returns it. */
  leaveSkipped(): SyscallEvent | null {
    const call = this.skipped;
    if (this.position.kind === 'waiting' && call) this.position = { kind: 'waiting', sig: this.position.sig, skipped: null };
    return call;
  }

  /** It runs in the kernel (resumed, left in a syscall, killed): nothing to resume it with. */
  run(): void {
    this.position = RUNNING;
  }

  /** Takes the stop it is parked at (it is then handled: running as far as the position goes), or null. */
  takeParked(): Stop | null {
    const at = this.parked;
    if (at) this.position = RUNNING;
    return at;
  }

  /** Resumes it now: returns the signal to resume it with, or null when it was not waiting (running already). */
  takeResume(): number | null {
    const sig = this.pendingSig;
    if (sig !== null) this.position = RUNNING;
    return sig;
  }

  /** It was seen at ptrace stop s. */
  saw(s: Stop): void {
    this.lastStop = s;
  }

  // --- Signals re-sent by replay. ---

  /** The recorded signal ev was sent to it again; its delivery stop gets the recorded siginfo. */
  resend(ev: SignalEvent): void {
    this.sent = ev;
  }

  /** The re-sent signal's delivery stop came: returns its event. */
  takeResent(): SignalEvent | null {
    const sent = this.sent;
    this.sent = null;
    return sent;
  }

  /** The recorded signal ev was re-sent ahead of time (before an rt_sigsuspend ran). */
  present(ev: SignalEvent): void {
    this.early = ev;
  }

  /** Whether ev was re-sent ahead of time (which it no longer is once its event is met). */
  takePresented(ev: SignalEvent): boolean {
    if (this.early !== ev) return false;
    this.early = null;
    return true;
  }

  /** Whether a debugger stop at the point it was run to was reported (set) or is consumed (cleared). */
  reportedAtPoint(reported: boolean): void {
    this.reported = reported;
  }

  /** The same task state on another task (a checkpoint's copy), at that copy's stop; a plain copy without them. */
  copyTo(task: Task = this.task, stop?: Stop): RTask {
    const c = new RTask(task, this.recTid);
    c.position = this.position.kind === 'parked' && stop ? { kind: 'parked', at: { ...stop } } : this.position;
    c.lastStop = stop ?? this.lastStop;
    c.sent = this.sent;
    c.early = this.early;
    c.reported = this.reported;
    if (this.clearTid !== undefined) c.clearTid = this.clearTid;
    if (this.batch) c.batch = { index: this.batch.index, events: [...this.batch.events], given: this.batch.given };
    return c;
  }
}

/** Whether the task sits at a ptrace stop (else it runs in the kernel, e.g. a vfork parent). */
export function isStopped(t: RTask): boolean {
  return t.isStopped;
}
