// Test and benchmark utility for fork-copy.ts: a tiny driver of one traced process (all its threads),
// used by fork-copy.test.ts and bench/checkpoints.ts. Not a test itself (*.test-util.ts: left out of
// the bundle and of the test run).
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { compileProgram } from '../../test/helpers/harness.js';
import { PTRACE_EVENT_CLONE, __WALL } from '../kernel/ptrace.js';
import { R } from '../kernel/regs.js';
import { SIG } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { copyProcess, type ProcessCopy } from './fork-copy.js';
import { skipToExit } from './inject.js';
import { applyInsnResult, decodeTrappedInsn, executeInsn } from './insn.js';
import { chooseCpu, launch } from './spawn.js';
import { decodeStatus, describeStop, type Stop } from './stop.js';
import { Task } from './task.js';

const status = new Int32Array(1);

/**
 * Drives one traced process (all its threads) like a tiny replayer: writes to fd 1 are captured and
 * skipped, so each process's output is collected separately; everything else runs for real.
 * Tracks the clear_child_tid of every thread (set_tid_address, clone3's child_tid), as a copier must.
 */
export class Driver {
  readonly tasks = new Map<number, Task>();
  readonly out: string[] = [];
  readonly clearTids = new Map<number, bigint>();
  private readonly pendingChildTid = new Map<number, bigint>();
  /** Stopped threads the driver holds (not resumed), with their stop. */
  readonly held = new Map<number, Stop>();
  /** Threads to hold at their next PTRACE_EVENT_STOP. */
  private readonly stopping = new Set<number>();
  exit: Stop | null = null;
  markerHit = false;

  constructor(readonly tgid: number, tasks: Iterable<Task>) {
    for (const t of tasks) this.tasks.set(t.tid, t);
  }

  task(tid: number): Task { return this.tasks.get(tid)!; }

  /** Resumes a held thread as its stop requires. */
  release(tid: number): void {
    const s = this.held.get(tid);
    if (!s) throw new Error(`thread ${tid} is not held`);
    this.held.delete(tid);
    this.task(tid).cont(s.kind === 'signal' ? s.signal : 0);
  }

  releaseAll(): void {
    for (const tid of [...this.held.keys()]) this.release(tid);
  }

  /** Handles stops until cond() holds, or the process ends. */
  runUntil(cond: () => boolean, markerHolds = false, hold?: (t: Task, nr: number) => boolean): void {
    while (!cond() && this.exit === null) {
      const tid = native.waitpid(-1, __WALL, status);
      if (tid < 0) throw new Error(`waitpid failed (errno ${-tid})`);
      const s = decodeStatus(status[0]!);
      const t = this.tasks.get(tid);
      if (!t) throw new Error(`stop of unknown task ${tid}: ${describeStop(s)}`);
      this.handle(t, s, markerHolds, hold);
    }
  }

  runToEnd(): Stop {
    this.runUntil(() => false);
    return this.exit!;
  }

  /** Interrupts every running thread except `except` and handles stops until all are held. */
  stopOthers(except: number): void {
    for (const [tid, t] of this.tasks) {
      if (tid === except || this.held.has(tid)) continue;
      this.stopping.add(tid);
      t.interrupt();
    }
    this.runUntil(() => this.stopping.size === 0);
  }

  private handle(t: Task, s: Stop, markerHolds: boolean, hold?: (t: Task, nr: number) => boolean): void {
    switch (s.kind) {
      case 'exited':
      case 'killed':
        this.tasks.delete(t.tid);
        if (t.tid === this.tgid) this.exit = s;
        return;
      case 'seccomp': {
        const regs = t.fetchRegs();
        const nr = Number(regs[R.orig_rax]!);
        if (nr === SYS.write && regs[R.rdi] === 1n) {
          const n = Number(regs[R.rdx]!);
          this.out.push(Buffer.from(t.read(regs[R.rsi]!, n)).toString());
          skipToExit(t, BigInt(n));
        } else if (nr === SYS.getppid && markerHolds && !this.markerHit) {
          this.markerHit = true;
          this.held.set(t.tid, s);
          return;
        } else if (hold?.(t, nr)) {
          this.held.set(t.tid, s);
          return;
        } else if (nr === SYS.set_tid_address) {
          this.clearTids.set(t.tid, regs[R.rdi]!);
        } else if (nr === SYS.clone3) {
          this.pendingChildTid.set(t.tid, t.readU64(regs[R.rdi]! + 16n));
        }
        t.cont();
        return;
      }
      case 'event':
        if (s.event === PTRACE_EVENT_CLONE) {
          const child = Number(native.getEventMsg(t.tid));
          this.tasks.set(child, new Task(child, this.tgid));
          const ct = this.pendingChildTid.get(t.tid);
          if (ct !== undefined) this.clearTids.set(child, ct);
        }
        t.cont();
        return;
      case 'group-stop':
        if (this.stopping.delete(t.tid)) {
          this.held.set(t.tid, s);
          return;
        }
        t.cont();
        return;
      case 'signal': {
        // rdtsc traps (PR_SET_TSC): execute it here, as the recorder does.
        const regs = t.fetchRegs();
        const insn = s.signal === SIG.SIGSEGV ? decodeTrappedInsn(t, regs[R.rip]!) : null;
        if (insn) {
          applyInsnResult(regs, insn.insn, executeInsn(insn.insn, regs[R.rax]!, regs[R.rcx]!));
          t.storeRegs(regs);
          t.cont();
        } else {
          t.cont(s.signal);
        }
        return;
      }
      case 'syscall':
        t.cont();
    }
  }

  /** The held threads as copyProcess wants them. */
  threadStates(tids: number[]): { threads: Task[]; states: { stop: Stop; clearTid?: bigint }[] } {
    return {
      threads: tids.map((tid) => this.task(tid)),
      states: tids.map((tid) => ({ stop: this.held.get(tid)!, clearTid: this.clearTids.get(tid) })),
    };
  }
}

export function start(name: string, args: string[] = []): Driver {
  const path = compileProgram(name);
  const task = launch({ path, argv: [name, ...args], envp: [], cpu: chooseCpu(), noCore: true });
  const d = new Driver(task.tid, [task]);
  // The launcher is at the seccomp stop of its execve: let it go.
  task.cont();
  return d;
}

/** Runs a process to its marker (getppid), held at the syscall exit of the skipped marker. */
export function toMarker(d: Driver): Task {
  d.runUntil(() => d.markerHit, true);
  assert.ok(d.markerHit, `the program ended before its marker: ${d.out.join('')}`);
  const [tid] = [...d.held.keys()];
  const t = d.task(tid!);
  skipToExit(t, 1n);
  d.held.set(t.tid, { kind: 'syscall' });
  return t;
}

export function finish(d: Driver): { out: string; exit: string } {
  d.releaseAll();
  const e = d.runToEnd();
  return { out: d.out.join(''), exit: describeStop(e) };
}

export function copyOf(d: Driver, tids: number[]): ProcessCopy {
  const { threads, states } = d.threadStates(tids);
  const c = copyProcess(threads, { threads: states });
  d.out.length = 0; // from here on, the original's output is what the copy must reproduce
  return c;
}

export function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}
