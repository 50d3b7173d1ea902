// Frozen copies of traced processes (fork-copy.ts), on real programs: a copy resumed later must produce
// exactly what the original produced from the same point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { __WALL } from '../kernel/ptrace.js';
import { R } from '../kernel/regs.js';
import { SIG } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { UnsupportedError } from './errors.js';
import { copyProcess, discardCopy, type ProcessCopy } from './fork-copy.js';
import { copyOf, Driver, finish, gone, start, toMarker } from './fork-copy.test-util.js';
import { skipToExit } from './inject.js';
import { decodeStatus } from './stop.js';
import { Task } from './task.js';

const status = new Int32Array(1);

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

/** Releases the workers (held threads) and holds each again at the entry of its next futex call. */
function holdAtFutexEntry(d: Driver, workers: readonly number[]): void {
  for (const w of workers) d.release(w);
  const atFutex = new Set<number>();
  d.runUntil(() => atFutex.size === workers.length, false, (t, nr) => {
    if (nr !== SYS.futex || !workers.includes(t.tid)) return false;
    atFutex.add(t.tid);
    return true;
  });
}

function copyOfCopy(c: ProcessCopy): ProcessCopy {
  return copyProcess(c.tasks, { threads: c.stops.map((stop) => ({ stop })) });
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
  // Let it compute a little (this process sleeps, so the tracee gets the CPU), then stop it wherever
  // it is. On a loaded machine this process may come back only after the program finished: again,
  // with less time.
  let d: Driver | null = null;
  let main: Task | null = null;
  for (let attempt = 0; attempt < 6 && !main; attempt++) {
    d = start('ckpt-loop');
    const m = toMarker(d);
    d.release(m.tid);
    if (attempt < 5) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2 >> attempt);
    d.stopOthers(-1);
    if (d.held.has(m.tid)) main = m;
    else finish(d);
  }
  assert.ok(d && main, 'the program always finished before it could be interrupted');
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
  holdAtFutexEntry(d, workers);
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
  holdAtFutexEntry(d, workers);
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
