// Frozen copies of traced processes (fork-copy.ts), on real programs: a copy resumed later must produce
// exactly what the original produced from the same point.
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileProgram } from '../../test/helpers/harness.js';
import { PTRACE_EVENT_CLONE, __WALL } from '../kernel/ptrace.js';
import { R } from '../kernel/regs.js';
import { SIG } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { UnsupportedError } from './errors.js';
import { copyProcess, discardCopy, type ProcessCopy } from './fork-copy.js';
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
class Driver {
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

function start(name: string, args: string[] = []): Driver {
  const path = compileProgram(name);
  const task = launch({ path, argv: [name, ...args], envp: [], cpu: chooseCpu(), noCore: true });
  const d = new Driver(task.tid, [task]);
  // The launcher is at the seccomp stop of its execve: let it go.
  task.cont();
  return d;
}

/** Runs a process to its marker (getppid), held at the syscall exit of the skipped marker. */
function toMarker(d: Driver): Task {
  d.runUntil(() => d.markerHit, true);
  assert.ok(d.markerHit, `the program ended before its marker: ${d.out.join('')}`);
  const [tid] = [...d.held.keys()];
  const t = d.task(tid!);
  skipToExit(t, 1n);
  d.held.set(t.tid, { kind: 'syscall' });
  return t;
}

/** A driver for a copy, its threads held at the copy's stops. */
function driverOf(copy: ProcessCopy, clearTids: (bigint | undefined)[] = []): Driver {
  const d = new Driver(copy.pid, copy.tasks);
  copy.tasks.forEach((t, i) => {
    d.held.set(t.tid, copy.stops[i]!);
    const ct = clearTids[i];
    if (ct !== undefined) d.clearTids.set(t.tid, ct);
  });
  return d;
}

function finish(d: Driver): { out: string; exit: string } {
  d.releaseAll();
  const e = d.runToEnd();
  return { out: d.out.join(''), exit: describeStop(e) };
}

function copyOf(d: Driver, tids: number[]): ProcessCopy {
  const { threads, states } = d.threadStates(tids);
  const c = copyProcess(threads, { threads: states });
  d.out.length = 0; // from here on, the original's output is what the copy must reproduce
  return c;
}

function copyOfCopy(c: ProcessCopy): ProcessCopy {
  return copyProcess(c.tasks, { threads: c.stops.map((stop) => ({ stop })) });
}

function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

test('a copy made at a syscall exit replays the same output; copies of the same state and of a copy too', () => {
  const d = start('ckpt-loop');
  const main = toMarker(d);
  assert.match(d.out.join(''), /round 10 sum/);
  const a = copyOf(d, [main.tid]);
  const b = copyOf(d, [main.tid]);
  assert.deepEqual(a.stops, [{ kind: 'syscall' }]);
  const orig = finish(d);
  assert.match(orig.out, /^round 11 sum[^]*round 29 sum/);
  assert.doesNotMatch(orig.out, /round 10 /);

  assert.deepEqual(finish(driverOf(a)), orig);
  assert.ok(gone(a.pid), 'the finished copy was reaped');
  const c = copyOfCopy(b);
  assert.deepEqual(finish(driverOf(b)), orig);
  assert.deepEqual(finish(driverOf(c)), orig);
  assert.ok(gone(b.pid) && gone(c.pid));
});

test('a copy made at a PTRACE_INTERRUPT stop in user code continues identically (FPU state included)', (t) => {
  const d = start('ckpt-loop');
  const main = toMarker(d);
  d.release(main.tid);
  // Let it compute a little (this process sleeps, so the tracee gets the CPU), then stop it wherever it is.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  d.stopOthers(-1);
  const s = d.held.get(main.tid)!;
  assert.equal(s.kind, 'group-stop');
  const where = main.fetchRegs();
  t.diagnostic(`interrupted after ${d.out.length} lines, rip 0x${where[R.rip]!.toString(16)}, orig_rax ${BigInt.asIntN(64, where[R.orig_rax]!)}`);
  const a = copyOf(d, [main.tid]);
  assert.deepEqual(a.stops, [s]);
  const cc = copyOfCopy(a);
  const orig = finish(d);
  assert.match(orig.out, /round 29 sum/);
  assert.deepEqual(finish(driverOf(a)), orig);
  assert.deepEqual(finish(driverOf(cc)), orig);
});

test('a copy made at a signal-delivery stop gets the same signal and siginfo', () => {
  const d = start('ckpt-loop');
  const main = toMarker(d);
  main.signal(SIG.SIGUSR1);
  d.release(main.tid);
  const w = native.waitpid(main.tid, __WALL, status);
  assert.equal(w, main.tid);
  const s = decodeStatus(status[0]!);
  assert.deepEqual(s, { kind: 'signal', signal: SIG.SIGUSR1 });
  d.held.set(main.tid, s);
  const info = main.siginfo();
  const a = copyOf(d, [main.tid]);
  assert.deepEqual(a.stops, [s]);
  assert.deepEqual(a.tasks[0]!.siginfo(), info);
  assert.deepEqual(main.siginfo(), info, 'the original still sits at its signal stop');
  const orig = finish(d);
  assert.match(orig.out, /round 11 sum \S+ acc \S+ hits 1/);
  assert.deepEqual(finish(driverOf(a)), orig);
});

function sortedLines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '').sort();
}

test('a multi-threaded process: every thread is copied with its registers, TLS and stack', () => {
  const d = start('ckpt-threads', ['3']);
  const main = toMarker(d);
  d.stopOthers(main.tid);
  const tids = [main.tid, ...[...d.tasks.keys()].filter((t) => t !== main.tid)];
  assert.equal(tids.length, 4);
  const states = d.threadStates(tids).states;
  for (const st of states) assert.ok(st.clearTid !== undefined, 'clear_child_tid known for every thread');
  const a = copyOf(d, tids);
  assert.equal(a.tasks.length, 4);
  assert.equal(a.tasks[0]!.tid, a.pid);
  a.tasks.forEach((t, i) => assert.deepEqual(t.fetchRegs(), d.task(tids[i]!).fetchRegs()));
  const b = copyOf(d, tids);
  const orig = finish(d);
  assert.equal(sortedLines(orig.out).length, 4);
  const ca = finish(driverOf(a, states.map((s) => s.clearTid)));
  assert.deepEqual(sortedLines(ca.out), sortedLines(orig.out));
  assert.equal(ca.exit, orig.exit);
  // A copy of a copy of a threaded process.
  const c = copyProcess(b.tasks, { threads: b.stops.map((stop, i) => ({ stop, clearTid: states[i]!.clearTid })) });
  discardCopy(b);
  assert.ok(gone(b.pid), 'a discarded copy leaves no zombie');
  const cc = finish(driverOf(c));
  assert.deepEqual(sortedLines(cc.out), sortedLines(orig.out));
  assert.equal(cc.exit, orig.exit);
});

test('threads at syscall exits are recreated at syscall exits (the copy runs one skipped syscall)', () => {
  const d = start('ckpt-threads', ['3']);
  const main = toMarker(d);
  d.stopOthers(main.tid);
  const workers = [...d.tasks.keys()].filter((t) => t !== main.tid);
  // The workers sit in their futex wait: interrupted, they restart it; catch them at its entry and
  // have it fail with EAGAIN at the exit (they then loop and wait again).
  for (const w of workers) d.release(w);
  const atFutex = new Set<number>();
  d.runUntil(() => atFutex.size === workers.length, false, (t, nr) => {
    if (nr !== SYS.futex || t.tid === main.tid) return false;
    atFutex.add(t.tid);
    return true;
  });
  for (const w of workers) {
    skipToExit(d.task(w), -11n);
    d.held.set(w, { kind: 'syscall' });
  }
  const tids = [main.tid, ...workers];
  const states = d.threadStates(tids).states;
  const a = copyOf(d, tids);
  assert.deepEqual(a.stops, tids.map(() => ({ kind: 'syscall' })));
  a.tasks.forEach((t, i) => assert.deepEqual(t.fetchRegs(), d.task(tids[i]!).fetchRegs()));
  const orig = finish(d);
  const ca = finish(driverOf(a, states.map((s) => s.clearTid)));
  assert.deepEqual(sortedLines(ca.out), sortedLines(orig.out));
  assert.equal(ca.exit, orig.exit);
});

test('a threaded process interrupted anywhere (main in pthread_join, workers wherever they are)', (t) => {
  const d = start('ckpt-threads', ['3']);
  const main = toMarker(d);
  d.stopOthers(main.tid);
  // Workers stay stopped while main releases them and enters pthread_join; catch it at that futex
  // wait, let it block, let the workers go, then interrupt everyone.
  let joining = false;
  d.release(main.tid);
  d.runUntil(() => joining, false, (task, nr) => {
    if (task.tid !== main.tid || nr !== SYS.futex) return false;
    const op = Number(task.regs[R.rsi]! & 0x7fn);
    joining = op === 0 || op === 9; // FUTEX_WAIT, FUTEX_WAIT_BITSET
    return joining;
  });
  d.releaseAll();
  d.stopOthers(-1);
  const tids = [main.tid, ...[...d.tasks.keys()].filter((x) => x !== main.tid)];
  if (d.exit !== null || tids.some((x) => !d.held.has(x))) {
    t.diagnostic('the program finished too early to be interrupted: nothing to check');
    return;
  }
  const r = main.fetchRegs();
  t.diagnostic(`main interrupted with orig_rax ${BigInt.asIntN(64, r[R.orig_rax]!)}, rax ${BigInt.asIntN(64, r[R.rax]!)}`);
  const states = d.threadStates(tids).states;
  const a = copyOf(d, tids);
  const orig = finish(d);
  const ca = finish(driverOf(a, states.map((s) => s.clearTid)));
  assert.deepEqual(sortedLines(ca.out), sortedLines(orig.out));
  assert.equal(ca.exit, orig.exit);
});

test('a process with a writable shared mapping is refused; a read-only one is fine', () => {
  const rw = start('ckpt-loop', ['0', 'rw']);
  const t = toMarker(rw);
  assert.throws(() => copyOf(rw, [t.tid]), (e: unknown) => e instanceof UnsupportedError && /writable shared mapping/.test(e.message));
  // The refusal left the process untouched.
  const out = finish(rw);
  assert.match(out.out, /round 29/);

  const ro = start('ckpt-loop', ['0', 'ro']);
  const u = toMarker(ro);
  const a = copyOf(ro, [u.tid]);
  const orig = finish(ro);
  assert.deepEqual(finish(driverOf(a)), orig);
});

test('all threads must be given', () => {
  const d = start('ckpt-threads', ['3']);
  const main = toMarker(d);
  d.stopOthers(main.tid);
  assert.throws(() => copyOf(d, [main.tid]), /were not given/);
  finish(d);
});

test('threads at syscall entries (seccomp stops) are copied at the same entries', () => {
  const d = start('ckpt-threads', ['3']);
  // main held at the entry of its marker, getppid; the workers caught at the entry of their futex wait.
  d.runUntil(() => d.markerHit, true);
  const main = d.task([...d.held.keys()][0]!);
  d.stopOthers(main.tid);
  const workers = [...d.tasks.keys()].filter((t) => t !== main.tid);
  for (const w of workers) d.release(w);
  const atFutex = new Set<number>();
  d.runUntil(() => atFutex.size === workers.length, false, (t, nr) => {
    if (nr !== SYS.futex || t.tid === main.tid) return false;
    atFutex.add(t.tid);
    return true;
  });
  const tids = [main.tid, ...workers];
  assert.ok(tids.every((t) => d.held.get(t)?.kind === 'seccomp'));
  const states = d.threadStates(tids).states;
  const before = tids.map((t) => d.task(t).fetchRegs().slice());
  const a = copyOf(d, tids);
  assert.deepEqual(a.stops, tids.map(() => ({ kind: 'seccomp' })));
  a.tasks.forEach((t, i) => assert.deepEqual(t.fetchRegs(), before[i], `copy of thread ${i} at the same entry`));
  tids.forEach((t, i) => assert.deepEqual(d.task(t).fetchRegs(), before[i], `original thread ${i} left as it was`));
  const orig = finish(d);
  assert.equal(sortedLines(orig.out).length, 4);
  const ca = finish(driverOf(a, states.map((s) => s.clearTid)));
  assert.deepEqual(sortedLines(ca.out), sortedLines(orig.out));
  assert.equal(ca.exit, orig.exit);
});

function timeCopies(d: Driver, tids: number[], n: number): { copy: number[]; discard: number[] } {
  const copy: number[] = [];
  const discard: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const c = copyOf(d, tids);
    const t1 = process.hrtime.bigint();
    discardCopy(c);
    copy.push(Number(t1 - t0) / 1e6);
    discard.push(Number(process.hrtime.bigint() - t1) / 1e6);
    assert.ok(gone(c.pid));
  }
  return { copy, discard };
}

function report(t: { diagnostic(s: string): void }, what: string, r: { copy: number[]; discard: number[] }): void {
  const line = `${what}: copyProcess ${summary(r.copy)}; discardCopy ${summary(r.discard)}`;
  t.diagnostic(line);
  console.log(`# ${line}`);
}

function summary(ms: number[]): string {
  const s = [...ms].sort((x, y) => x - y);
  return `median ${s[s.length >> 1]!.toFixed(2)} ms (min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}, n=${ms.length})`;
}

test('cost of copyProcess (printed, not asserted)', (t) => {
  const big = start('ckpt-loop', ['100']);
  const m = toMarker(big);
  report(t, '1 thread, ~100 MB touched', timeCopies(big, [m.tid], 7));
  finish(big);

  const small = start('ckpt-loop');
  const s = toMarker(small);
  report(t, '1 thread, ~1 MB data', timeCopies(small, [s.tid], 7));
  finish(small);

  const th = start('ckpt-threads', ['3']);
  const main = toMarker(th);
  th.stopOthers(main.tid);
  const tids = [main.tid, ...[...th.tasks.keys()].filter((x) => x !== main.tid)];
  report(t, '4 threads', timeCopies(th, tids, 7));
  finish(th);
});
