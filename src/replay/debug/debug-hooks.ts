// Replay debugging: the DebugHooks the replay loop calls (replayer.ts) — which SIGTRAPs are the
// debugger's, stepping over a planted breakpoint, which signals and events are stops of the debugged
// process, and the upkeep of the armed traps as tasks appear, stop and exec (trap-planting.ts).
import { R } from '../../kernel/regs.js';
import { SI_KERNEL, SIG } from '../../kernel/signals.js';
import { syscallDef } from '../../kernel/syscalls/index.js';
import { INT3, isSyscallInsn } from '../../kernel/x86-insn.js';
import type { TraceEvent } from '../../trace/events.js';
import { waitStop } from '../../tracee/spawn.js';
import { describeStop, type Stop } from '../../tracee/stop.js';
import type { Task } from '../../tracee/task.js';
import type { DebugHooks, DebugTrap } from '../debug-stepping.js';
import type { RTask } from '../replayed-task.js';
import type { DebuggedProcess } from './debugged-process.js';
import { TimelineError } from './timeline-error.js';
import type { ArmedTraps } from './trap-planting.js';

export class TimelineHooks implements DebugHooks {
  /** The recorded thread being single-stepped, or null. */
  stepTid: number | null = null;

  /**
   * atBreakpoint: threads reported at a breakpoint (resuming executes the instruction under it first);
   * historyStart: whether the replay is at or before the first event of the debugged history.
   */
  constructor(
    private readonly process: DebuggedProcess,
    private readonly traps: ArmedTraps,
    private readonly atBreakpoint: Map<number, bigint>,
    private readonly historyStart: () => boolean,
  ) {}

  stepping(recTid: number): boolean {
    return recTid === this.stepTid;
  }

  trap(task: Task, recTid: number, code: number): DebugTrap | null {
    if (!this.process.owns(task)) return null;
    const step = recTid === this.stepTid;
    const soft = this.traps.softWatchHit(task, step);
    if (soft) return soft;
    if (code === SI_KERNEL) return this.int3Hit(task, recTid);
    const slot = this.traps.softwareWatch ? null : this.traps.slotHit(task, step);
    return slot ?? (step ? { kind: 'step' } : null);
  }

  inProcessSearch(task: Task, recTid: number, ranges: readonly { start: bigint; end: bigint }[]): boolean {
    if (recTid === this.stepTid || this.atBreakpoint.has(recTid)) return false;
    return !this.process.owns(task) || this.traps.clearOf(ranges);
  }

  stepOverBreakpoint(task: Task, recTid: number): boolean | Stop {
    const addr = this.atBreakpoint.get(recTid);
    if (addr === undefined) return false;
    this.atBreakpoint.delete(recTid);
    const byte = this.traps.originalByte(addr);
    if (byte === undefined || task.fetchRegs()[R.rip] !== addr) return false;
    const code = task.readPartial(addr, 2);
    code[0] = byte;
    // A syscall instruction runs to its seccomp stop (a single step would leave TF in r11), which the
    // replay loop then handles.
    const syscall = isSyscallInsn(code);
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
      task.write(addr, new Uint8Array([INT3]));
    }
  }

  breakpointAt(task: Task, addr: bigint): boolean {
    return this.process.owns(task) && this.traps.isPlanted(addr);
  }

  waitsAtPoint(task: Task, recTid: number, addr: bigint): void {
    // Resuming it steps over an int3 planted there (then or later), as after a breakpoint stop.
    if (this.process.owns(task)) this.atBreakpoint.set(recTid, addr);
  }

  reportSignal(recTid: number): boolean {
    return this.process.hasThread(recTid);
  }

  isEnd(recTid: number, ev: TraceEvent): boolean {
    if (!this.process.hasThread(recTid)) return false;
    if (ev.kind === 'exit') return ev.signal !== null;
    if (ev.kind !== 'syscall') return false;
    const ends = syscallDef(ev.nr)?.noReturn;
    return ends === 'process' || (ends === 'task' && this.process.tasks().length === 1);
  }

  taskAdded(task: Task, recTid: number): void {
    const real = this.process.realPid();
    if (real === undefined) return;
    if (recTid === this.process.pid) this.traps.processAppeared(task, real);
    else if (task.tgid === real) this.traps.threadAdded(task);
    else if (task.tgid === task.tid) this.traps.processForked(task, this.process.tasks()[0]?.task);
  }

  taskStopped(task: Task): void {
    if (this.process.owns(task)) this.traps.threadReady(task);
  }

  execed(task: Task): void {
    // The image that starts the debugged history (a scan re-executing from before it) gets the breakpoints.
    if (this.process.owns(task)) this.traps.execed(task, this.historyStart());
    else this.traps.otherExeced(task.tid);
  }

  pageFault(task: Task): Stop | null {
    return this.traps.pageFault(task, this.process.owns(task));
  }

  syscallWrote(task: Task, recTid: number, ranges: readonly { addr: bigint; len: number }[]): DebugTrap | null {
    if (!this.process.owns(task)) return null;
    return this.traps.writtenWatch(ranges, recTid === this.stepTid);
  }

  beforeRun(t: RTask): void {
    if (this.process.owns(t.task)) this.traps.replant();
  }

  kernelRuns(t: RTask): void {
    this.traps.kernelRuns(t);
  }

  kernelRan(t: RTask): void {
    this.traps.kernelRan(t);
  }

  liftForSignal(t: RTask, sig: number): boolean {
    return this.traps.liftForSignal(t, sig);
  }

  signalDelivered(t: RTask, stop: Stop): void {
    this.traps.signalDelivered(t, stop);
  }

  /** A SIGTRAP with SI_KERNEL just after one of our int3s: rip goes back onto it. */
  private int3Hit(task: Task, recTid: number): DebugTrap | null {
    const regs = task.fetchRegs();
    const addr = regs[R.rip]! - 1n;
    if (!this.traps.isPlanted(addr)) return null;
    regs[R.rip] = addr;
    task.storeRegs();
    this.atBreakpoint.set(recTid, addr);
    return { kind: 'breakpoint', addr };
  }
}
