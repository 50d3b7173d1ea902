// Replay debugging: what is armed in the debugged process for one run — breakpoints as planted int3
// bytes (or execute slots of the debug registers for gdb's `hbreak`), watchpoints in the debug
// registers (hw-slots.ts) or, where those do not work, by page protection (page-watch.ts) — and the
// upkeep that keeps it in place while the replay creates, stops, forks and execs tasks.
import { existsSync } from 'node:fs';
import { SIG } from '../../kernel/signals.js';
import { INT3 } from '../../kernel/x86-insn.js';
import { hasHandler } from '../../tracee/caught-signals.js';
import type { Stop } from '../../tracee/stop.js';
import type { Task } from '../../tracee/task.js';
import type { DebugStop, DebugTrap } from '../debug-stepping.js';
import { isStopped, type RTask } from '../replayed-task.js';
import type { DebuggedProcess } from './debugged-process.js';
import { HwSlots } from './hw-slots.js';
import { EMPTY_SPEC, sameWatch, type TrapSpec, type Watch } from './marks.js';
import { PageWatch, type Place } from './page-watch.js';

export class ArmedTraps {
  /** What is armed now. */
  private spec: TrapSpec = EMPTY_SPEC;
  /** Planted int3s: address → the program's byte under it. */
  private readonly planted = new Map<bigint, number>();
  private readonly slots = new HwSlots();
  private readonly pageWatch = new PageWatch();
  /** A software watchpoint hit by the instruction a page fault stepped, for the next trap to report. */
  private softHit: { tid: number; watch: Watch } | null = null;
  /** The armed set is all in place in the debugged process (see quiet.ts). */
  whole = false;
  /** The debugged process exec'd a new image since arm() without getting the breakpoints: they mean nothing there. */
  private otherImage = false;
  /**
   * Tasks of other processes sharing the debugged process's memory (vfork children, until they exec or
   * end): an int3 planted meanwhile would be theirs too, so replant() waits.
   */
  private readonly sharers = new Set<number>();

  /**
   * softwareWatch: watchpoints and hardware breakpoints without debug registers (they do not fire on
   * this machine, or REWIND_SOFTWARE=debugregs): watched pages are protected, `hbreak` is an int3
   * reported as a hardware breakpoint.
   */
  constructor(private readonly process: DebuggedProcess, readonly softwareWatch: boolean) {}

  /** Whether no watchpoint is armed and no breakpoint (int3 or execute slot) lies in these code ranges. */
  clearOf(ranges: readonly { start: bigint; end: bigint }[]): boolean {
    if (this.spec.watches.length > 0) return false;
    const inside = (a: bigint) => ranges.some((r) => a >= r.start && a < r.end);
    return !this.spec.breakpoints.some(inside) && !(this.spec.hardware ?? []).some(inside);
  }

  /** Arms spec in the debugged process (what was armed before is taken out first). */
  arm(spec: TrapSpec): void {
    this.disarm();
    this.spec = spec;
    this.otherImage = false;
    const tasks = this.process.stoppedTasks();
    this.plant(tasks[0]);
    if (this.softwareWatch) {
      this.pageWatch.set(spec.watches, this.process.realPid());
      this.syncPages();
    } else {
      this.slots.set(spec.watches, spec.hardware ?? [], tasks);
    }
    this.whole = tasks.length > 0 && tasks.length === this.process.tasks().length
      && spec.breakpoints.every((a) => this.inSlot(a) || this.planted.has(a))
      && (!this.pageWatch.armed || this.pageWatch.active);
  }

  /** Takes everything armed out: the program's bytes back, slots cleared, pages given their own permissions. */
  disarm(): void {
    const tasks = this.process.stoppedTasks();
    const task = tasks[0];
    if (task) {
      this.unplant(task);
      this.slots.clear(tasks);
    }
    if (this.softwareWatch) {
      this.pageWatch.set([], this.pageWatch.process);
      this.syncPages();
    }
    this.planted.clear();
    this.spec = EMPTY_SPEC;
  }

  /** The replayed processes were replaced (restart, restore point): nothing of ours is in them. */
  forget(): void {
    this.planted.clear();
    this.sharers.clear();
    this.pageWatch.forget();
    this.pageWatch.set([], undefined);
    this.softHit = null;
    this.spec = EMPTY_SPEC;
  }

  /** The program's byte under a planted int3, or undefined when none is planted at addr. */
  originalByte(addr: bigint): number | undefined {
    return this.planted.get(addr);
  }

  isPlanted(addr: bigint): boolean {
    return this.planted.has(addr);
  }

  /** The watchpoint a watch trap reports, or null (a slot of something else). */
  firedWatch(trap: DebugTrap & { kind: 'watch' }): Watch | null {
    // Software: the slot is the watchpoint's index in the armed set.
    if (this.softwareWatch) return this.spec.watches[trap.slots[0] ?? -1] ?? null;
    for (const i of trap.slots) {
      const w = this.slots.watchOf(i);
      if (w) return w;
    }
    return null;
  }

  /** Whether a stop is a hit of one of spec's breakpoints or watchpoints. */
  matches(st: DebugStop, spec: TrapSpec): boolean {
    const trap = st.trap;
    if (trap.kind === 'breakpoint') return spec.breakpoints.includes(trap.addr);
    if (trap.kind === 'watch') {
      const w = this.firedWatch(trap);
      return w !== null && spec.watches.some((x) => sameWatch(x, w));
    }
    return false;
  }

  /** The software watchpoint hit the last page fault of this task stepped into (reported once), or null. */
  softWatchHit(task: Task, step: boolean): DebugTrap | null {
    const soft = this.softHit;
    if (!soft || soft.tid !== task.tid) return null;
    this.softHit = null;
    const i = this.spec.watches.indexOf(soft.watch);
    return i >= 0 ? { kind: 'watch', slots: [i], step } : null;
  }

  /**
   * The first armed watchpoint that a write to one of these ranges hits (of any kind: a read one is an
   * access one here, as in the debug registers and page-watch.ts), as the trap its own firing would
   * be (software: its index in the armed set; hardware: a slot of its), or null.
   */
  writtenWatch(ranges: readonly { addr: bigint; len: number }[], step: boolean): DebugTrap | null {
    const watches = this.spec.watches;
    const i = watches.findIndex((w) => ranges.some((r) => r.len > 0 && r.addr < w.addr + BigInt(w.len) && w.addr < r.addr + BigInt(r.len)));
    if (i < 0) return null;
    const slot = this.softwareWatch ? i : this.slots.slotOf(watches[i]!);
    return slot >= 0 ? { kind: 'watch', slots: [slot], step } : null;
  }

  /** What the debug registers say a SIGTRAP of this task was: an execute slot, watch slots, or null. */
  slotHit(task: Task, step: boolean): DebugTrap | null {
    const status = this.slots.status(task);
    // An execute slot traps before its instruction runs, with EFLAGS.RF set in the saved registers (Linux
    // does that for execute breakpoints), so resuming runs the instruction instead of trapping again.
    for (const i of status.slots) {
      const addr = this.slots.breakpointOf(i);
      if (addr !== null) return { kind: 'breakpoint', addr };
    }
    return status.slots.length ? { kind: 'watch', slots: status.slots, step } : null;
  }

  // ---- upkeep as the replay changes the tasks ----

  /** The debugged process appears (forked while a scan re-executes from before it): arm it. */
  processAppeared(task: Task, realPid: number): void {
    this.plant(task);
    if (this.softwareWatch) {
      this.pageWatch.set(this.spec.watches, realPid);
      this.syncPages({ task, at: { kind: 'group-stop', signal: 0 }, pending: 0 });
    } else {
      this.slots.apply(task);
    }
  }

  /**
   * Before a thread of the debugged process runs its code: the breakpoints not in place are planted
   * now, through a stopped thread of it. Their code was not mapped yet when they were armed (a
   * re-execution from before ld.so mapped libc, for a breakpoint in it), or a vfork child sharing the
   * memory took them out (processForked). Without this they waited for the next arm() (a restore
   * point taken), and a reverse-continue re-executing from the start missed every hit in libc.
   */
  replant(): void {
    if (this.whole || this.otherImage || this.spec.breakpoints.length === 0) return;
    for (const tid of this.sharers) if (!existsSync(`/proc/${tid}`)) this.sharers.delete(tid);
    if (this.sharers.size > 0) return;
    const task = this.process.stoppedTasks()[0];
    if (!task) return;
    for (const addr of this.spec.breakpoints) {
      if (this.inSlot(addr)) continue;
      const now = task.readPartial(addr, 1);
      if (now.length !== 1 || (now[0] === INT3 && this.planted.has(addr))) continue; // not mapped, or in place
      // Not planted, or the program's byte is back (or new code there): that byte is the one to give back.
      task.write(addr, new Uint8Array([INT3]));
      this.planted.set(addr, now[0]!);
    }
  }

  /** A new thread of the debugged process, or one that stopped after running in the kernel. */
  threadReady(task: Task): void {
    if (this.softwareWatch) this.syncPages();
    else this.slots.apply(task);
  }

  /** A new thread of the debugged process: debug registers are per thread. */
  threadAdded(task: Task): void {
    if (!this.softwareWatch) this.slots.apply(task);
  }

  /** A forked child inherits the planted breakpoints' bytes: put the program's back. */
  processForked(child: Task, debugged: Task | undefined): void {
    if (!this.planted.size) return;
    this.unplant(child);
    // A vfork child shares the memory: that took the breakpoints out of the debugged process too.
    for (const addr of this.planted.keys()) {
      if (debugged && debugged.readPartial(addr, 1)[0] !== INT3) {
        this.whole = false;
        this.sharers.add(child.tid);
      }
    }
  }

  /** A task of another process exec'd: it shares the debugged process's memory no more. */
  otherExeced(tid: number): void {
    this.sharers.delete(tid);
  }

  /** The debugged process executed a new image: the old breakpoints went with the old address space. */
  execed(task: Task, plantAgain: boolean): void {
    this.planted.clear();
    this.whole = false;
    this.otherImage = !plantAgain;
    if (plantAgain) this.plant(task);
    if (this.softwareWatch) {
      this.pageWatch.forget();
      this.pageWatch.set(this.spec.watches, task.tgid);
      this.syncPages();
    } else {
      this.slots.apply(task);
    }
  }

  // ---- software watchpoints (page-watch.ts) ----

  /** A SIGSEGV of the task: steps it when the fault is on a page of ours (noting a hit of the debugged process). */
  pageFault(task: Task, debugged: boolean): Stop | null {
    if (!this.softwareWatch || !this.pageWatch.owns(task)) return null;
    const { stop, hit } = this.pageWatch.stepFaulting(task);
    if (hit && debugged) this.softHit = { tid: task.tid, watch: hit };
    return stop;
  }

  /**
   * Software watchpoints: lifts the page protections through t (stopped at a signal or trap stop) for
   * a run whose writes the debugger checks otherwise; restorePages puts them back. False when none are
   * in place there.
   */
  liftPages(t: RTask): boolean {
    if (!this.softwareWatch || !this.pageWatch.active || t.task.tgid !== this.pageWatch.process || !t.stop) return false;
    this.pageWatch.unprotect({ task: t.task, at: t.stop, pending: 0 });
    return true;
  }

  restorePages(t: RTask): void {
    if (t.stop) this.syncPages({ task: t.task, at: t.stop, pending: 0 });
  }

  kernelRuns(t: RTask): void {
    if (!this.softwareWatch || !this.pageWatch.active || t.task.tgid !== this.pageWatch.process) return;
    this.pageWatch.unprotect({ task: t.task, at: { kind: 'seccomp' }, pending: 0 });
  }

  kernelRan(t: RTask): void {
    if (!this.softwareWatch || !this.pageWatch.armed || this.pageWatch.active) return;
    if (t.task.tgid !== this.pageWatch.process) return;
    const at = t.stop;
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

  /** A hardware breakpoint in a debug register (not an int3). */
  private inSlot(addr: bigint): boolean {
    return !this.softwareWatch && this.spec.hardware?.includes(addr) === true;
  }

  /** Writes int3 at the armed software breakpoints (the debugged process may not exist yet). */
  private plant(task: Task | undefined): void {
    if (!task) return;
    for (const addr of this.spec.breakpoints) {
      if (this.inSlot(addr)) continue;
      const orig = task.readPartial(addr, 1);
      if (orig.length !== 1) continue;
      task.write(addr, new Uint8Array([INT3]));
      this.planted.set(addr, orig[0]!);
    }
  }

  /** Puts the program's bytes back where our int3s still are in task's memory. */
  private unplant(task: Task): void {
    for (const [addr, byte] of this.planted) {
      const now = task.readPartial(addr, 1);
      if (now.length === 1 && now[0] === INT3) task.write(addr, new Uint8Array([byte]));
    }
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
    for (const t of this.process.tasks()) {
      if (!isStopped(t)) continue;
      const at = t.stop;
      if (!at || at.kind === 'exited' || at.kind === 'killed' || at.kind === 'event') continue;
      return { task: t.task, at, pending: at.kind === 'signal' ? t.pendingSig ?? 0 : 0 };
    }
    return null;
  }
}
