// Going back in a replay of several threads or processes (workers.c) under the real gdb: restore
// points are copies of every thread and every process of the tree, and a reverse-continue from them
// lands on the calls the recorded run made, in reverse order.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { debugReplay, printed } from '../helpers/gdb-session.js';
import { compileTo, explain, programsDir, record, rewind, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('gdb-checkpoints');
after(() => space.cleanup());

/** The recorded run's report() calls, in order: [worker, sum]. */
function reports(rec: RecordResult, worker?: number): [number, string][] {
  return [...rec.stdout.toString().matchAll(/^report (\d+) (\d+)$/gm)]
    .map((m) => [Number(m[1]), m[2]!] as [number, string])
    .filter(([w]) => worker === undefined || w === worker);
}

/** The restore points `monitor info` reports: how many copies, of up to how many processes and tasks. */
function restorePoints(gdb: string): { copies: number; processes: number; tasks: number } {
  const m = /Restore points: the start and (\d+) copies \(of up to (\d+) process\(es\), (\d+) task\(s\)\)/.exec(gdb);
  assert.ok(m, `monitor info shows no restore points:\n${gdb}`);
  return { copies: Number(m[1]), processes: Number(m[2]), tasks: Number(m[3]) };
}

/** To the end of the history, then back to the last two report() calls. */
const BACK_TWICE = [
  'continue', 'monitor info', 'break report', 'reverse-continue', 'print worker', 'print sum',
  'reverse-continue', 'print worker', 'print sum', 'kill',
];

describe('restore points of threads and process trees (workers.c)', () => {
  let exe = '';
  let threads: RecordResult;
  let procs: RecordResult;

  before(async () => {
    exe = path.join(space.mkdir('bin-'), 'workers');
    compileTo(path.join(programsDir, 'workers.c'), exe, { flags: ['-O0', '-pthread'] });
    threads = await record(exe, ['threads', '2'], { space });
    assert.equal(threads.status, 0, explain(threads));
    procs = await record(exe, ['procs', '2'], { space });
    assert.equal(procs.status, 0, explain(procs));
  });

  test('three threads: copies hold every thread; reverse-continue finds the last two calls', async () => {
    const calls = reports(threads);
    assert.equal(calls.length, 9, threads.stdout.toString());
    const { gdb } = await debugReplay(exe, threads.traceDir, BACK_TWICE);
    const kept = restorePoints(gdb);
    assert.ok(kept.copies >= 2, gdb);
    assert.equal(kept.tasks, 3, `no restore point holds the three threads:\n${gdb}`);
    const [last, before] = [calls[calls.length - 1]!, calls[calls.length - 2]!];
    assert.deepEqual(printed(gdb), [String(last[0]), last[1], String(before[0]), before[1]], gdb);
  });

  test('a process tree: copies hold every process; the parent goes back to its own calls', async () => {
    const mine = reports(procs, 0);
    assert.equal(mine.length, 3, procs.stdout.toString());
    const { gdb } = await debugReplay(exe, procs.traceDir, BACK_TWICE);
    assert.equal(restorePoints(gdb).processes, 3, `no restore point holds the three processes:\n${gdb}`);
    assert.deepEqual(printed(gdb), ['0', mine[2]![1], '0', mine[1]![1]], gdb);
  });

  test('-p PID debugs a forked child that runs its parent\'s program', async () => {
    const ps = await rewind(['ps', procs.traceDir]);
    assert.equal(ps.status, 0, explain(ps));
    const pids = [...ps.stdout.toString().matchAll(/^(\d+)\s+(\d+)\s/gm)].map((m) => Number(m[1]));
    assert.equal(pids.length, 2, ps.stdout.toString());
    // The first child forked is worker 1.
    const child = Math.min(...pids);
    const mine = reports(procs, 1);
    const { gdb } = await debugReplay(exe, procs.traceDir, ['break report', 'continue', 'delete', ...BACK_TWICE], { args: ['-p', String(child)] });
    assert.match(gdb, /report \(worker=1, sum=\d+\)/, gdb);
    assert.deepEqual(printed(gdb), ['1', mine[2]![1], '1', mine[1]![1]], gdb);
    assert.ok(gdb.includes(`sum=${mine[0]![1]}`), `the first stop is the child's first call:\n${gdb}`);
  });

  test('a vfork parent: -g EVENT inside its wait starts where it has stopped again; watchpoints work across its waits', async () => {
    const spawner = path.join(space.mkdir('bin-'), 'spawner');
    compileTo(path.join(programsDir, 'spawner.c'), spawner, { flags: ['-O0'] });
    const rec = await record(spawner, [], { space });
    assert.equal(rec.status, 0, explain(rec));
    assert.match(rec.stdout.toString(), /done 3/);
    const dump = await rewind(['dump', rec.traceDir]);
    const created = /^(\d+): tid \d+ clone creates tid \d+$/m.exec(dump.stdout.toString());
    assert.ok(created, `no clone in the trace:\n${dump.stdout.toString().slice(0, 3000)}`);
    const inside = Number(created[1]) + 1;
    const { gdb } = await debugReplay(spawner, rec.traceDir, [
      'monitor when', 'info registers rip', 'break note', 'continue', 'print i', 'delete', 'watch spawned', 'continue',
      'continue', 'echo MARK-BACK\\n', 'reverse-continue', 'print spawned', 'kill',
    ], { args: ['-g', String(inside)] });
    const when = Number(/Current event: (\d+)/.exec(gdb)?.[1]);
    assert.ok(when > inside, `started at event ${when}, inside the vfork wait (event ${inside}):\n${gdb}`);
    assert.match(gdb, /^rip\s+0x[0-9a-f]+/m, gdb);
    assert.doesNotMatch(gdb, /Could not read registers|failed/, gdb);
    assert.equal(printed(gdb)[0], '0', gdb);
    // From note(0)'s entry: its own increment, then note(1)'s (the process went through a vfork wait).
    assert.match(gdb, /Old value = 0\s+New value = 1[^]*Old value = 1\s+New value = 2[^]*MARK-BACK/, gdb);
    // Backwards, the last write is undone: gdb shows the value going from 2 back to 1.
    const back = gdb.slice(gdb.indexOf('MARK-BACK'));
    assert.match(back, /Old value = 2\s+New value = 1/, gdb);
    assert.equal(printed(gdb)[1], '1', gdb);
  });
});
