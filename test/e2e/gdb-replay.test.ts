// Debugging a replay with the real gdb: `rewind replay -s PORT` serves the replayed program and gdb
// (batch mode) drives it forwards and backwards, over `target remote` or, with the commands
// `rewind replay` gives the gdb it starts, `target extended-remote`. What gdb prints is checked
// against what the recorded run printed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { debugReplay } from '../helpers/gdb-session.js';
import { compileTo, explain, programsDir, record, rewind, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('gdb-replay');
after(() => space.cleanup());

/** The recorded run's values: step i → [x, value, counter]. */
function steps(rec: RecordResult): number[][] {
  return [...rec.stdout.toString().matchAll(/^step (\d+) x (\d+) value (\d+) counter (\d+)$/gm)].map((m) => m.slice(2).map(Number));
}

describe('gdb on a replay (debugme.c)', () => {
  let exe = '';
  let rec: RecordResult;
  let crash: RecordResult;

  before(async () => {
    exe = path.join(space.mkdir('bin-'), 'debugme');
    compileTo(path.join(programsDir, 'debugme.c'), exe, { flags: ['-O0'] });
    rec = await record(exe, [], { space });
    assert.equal(rec.status, 0, explain(rec));
    crash = await record(exe, ['crash'], { space });
    assert.equal(crash.signal, null, explain(crash));
    assert.equal(crash.status, 139, `the crash variant should die of SIGSEGV:\n${explain(crash)}`);
  });

  test('a variable at a breakpoint has the value the recorded run printed, forwards and after reverse-continue', async () => {
    const s = steps(rec);
    assert.equal(s.length, 5);
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break compute', 'continue', 'print x', 'continue', 'continue', 'print x', 'print counter',
      'reverse-continue', 'print x', 'print counter', 'monitor when', 'kill',
    ]);
    const printed = [...gdb.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(printed, [s[0]![0], s[2]![0], s[1]![2], s[1]![0], s[0]![2]], gdb);
    assert.match(gdb, /Current event: \d+/);
  });

  test('next, then reverse-next and reverse-step come back to the lines before', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break compute', 'continue', 'next', 'next', 'echo MARK-A\\n', 'reverse-next', 'echo MARK-B\\n', 'reverse-step',
      'echo MARK-C\\n', 'reverse-finish', 'echo MARK-D\\n', 'kill',
    ]);
    const section = (a: string, b: string) => gdb.slice(gdb.indexOf(a), gdb.indexOf(b));
    assert.match(section('MARK-A', 'MARK-B'), /COMPUTE-SECOND/, gdb);
    assert.match(section('MARK-B', 'MARK-C'), /COMPUTE-FIRST/, gdb);
    assert.match(section('MARK-C', 'MARK-D'), /CALL/, gdb);
  });

  test('a watchpoint fires forwards, and backwards finds the last write', async () => {
    const s = steps(rec);
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break compute', 'continue', 'delete', 'watch counter', 'continue', 'continue', 'echo MARK-R\\n', 'reverse-continue', 'print counter', 'kill',
    ]);
    const back = gdb.slice(gdb.indexOf('MARK-R'));
    // Going back from after the second write, the last write is the second one: counter goes back to the first value.
    assert.match(back, new RegExp(`Old value = ${s[1]![2]}\\s+New value = ${s[0]![2]}`), gdb);
    assert.match(back, /ADD/, gdb);
    assert.match(back, new RegExp(`^\\$1 = ${s[0]![2]}$`, 'm'), gdb);
  });

  test('reverse-continue with nothing to hit stops at the start of the history', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, ['break compute', 'continue', 'delete', 'reverse-continue', 'info registers rip', 'kill']);
    assert.match(gdb, /No more reverse-execution history/, gdb);
    assert.match(gdb, /_start/, gdb);
  });

  test('the crash: replay stops at the SIGSEGV, a reverse watchpoint finds the write that corrupted the pointer', async () => {
    const { gdb } = await debugReplay(exe, crash.traceDir, [
      'continue', 'echo MARK-W\\n', 'watch slot', 'reverse-continue', 'kill',
    ]);
    assert.match(gdb, /Program received signal SIGSEGV/, gdb);
    assert.match(gdb.slice(0, gdb.indexOf('MARK-W')), /STORE/, gdb);
    const back = gdb.slice(gdb.indexOf('MARK-W'));
    assert.match(back, /Old value = \(int \*\) 0x[0-9a-f]+\s+New value = \(int \*\) 0x[0-9a-f]+ <storage>/, gdb);
    assert.match(back, /SCRIBBLE/, gdb);
  });

  test('continuing past the last event stops at the end of the history', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, ['continue', 'continue', 'kill']);
    assert.match(gdb, /No more reverse-execution history/, gdb);
  });

  test('target remote: monitor restart N (gdb\'s caches flushed by hand), and -g EVENT starts later', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break compute', 'continue', 'monitor checkpoint', 'continue', 'continue', 'print x', 'monitor restart 1', 'maintenance flush register-cache', 'maintenance flush dcache', 'print x', 'kill',
    ]);
    const s = steps(rec);
    const printed = [...gdb.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(printed, [s[2]![0], s[0]![0]], gdb);
    const when = /Current event: (\d+)/;
    const late = await debugReplay(exe, rec.traceDir, ['monitor when', 'kill'], { args: ['-g', '40'] });
    assert.equal(Number(when.exec(late.gdb)?.[1]), 40, late.gdb);
  });

  test('extended-remote: restart N goes to checkpoint N, run to the start, run eN to event N; gdb re-reads all', async () => {
    const s = steps(rec);
    const { gdb, out, err, server } = await debugReplay(exe, rec.traceDir, [
      'break compute', 'continue', 'checkpoint', 'continue', 'continue', 'print x',
      'echo MARK-RESTART\\n', 'restart 1', 'print x', 'when', 'info checkpoints',
      'echo MARK-BAD\\n', 'restart 9', 'print x', 'run c9',
      'echo MARK-START\\n', 'set args', 'run', 'info registers rip', 'continue', 'print x',
      'echo MARK-EVENT\\n', 'run e40', 'monitor when', 'kill',
    ], { extended: true, separate: true });
    // stdout, cut at the echoed marks: what gdb printed for each part.
    const section = (a: string, b?: string) => out.slice(out.indexOf(a), b === undefined ? undefined : out.indexOf(b));
    const printed = (text: string) => [...text.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(printed(section('', 'MARK-RESTART')), [s[2]![0]], gdb);
    // gdb's `run c1` continues at once; that continue stops at the checkpoint, no cache to flush.
    const restart = section('MARK-RESTART', 'MARK-BAD');
    assert.match(restart, /Program stopped\.\s+compute \(x=\d+\)/, gdb);
    assert.deepEqual(printed(restart), [s[0]![0]], gdb);
    // A checkpoint that does not exist: restart refuses before gdb kills anything (x is still there).
    assert.deepEqual(printed(section('MARK-BAD', 'MARK-START')), [s[0]![0]], gdb);
    const begin = section('MARK-START', 'MARK-EVENT');
    assert.match(begin, /rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>/, gdb);
    assert.deepEqual(printed(begin), [s[0]![0]], gdb);
    // stderr: monitor output and errors, in order.
    const at = Number(/Checkpoint 1 at event (\d+)/.exec(err)?.[1]);
    assert.ok(at > 0, gdb);
    assert.deepEqual([...err.matchAll(/Current event: (\d+)/g)].map((m) => Number(m[1])), [at, 40], gdb);
    assert.match(err, new RegExp(`^1: event ${at}, 1 trap`, 'm'), gdb);
    assert.match(err, /no checkpoint 9 \(/, gdb);
    // run c9 itself: gdb only says it failed; the server says why.
    assert.match(err, /Running the default executable on the remote target failed/, gdb);
    assert.match(server, /rewind: run: no checkpoint 9/, server);
    assert.doesNotMatch(gdb, /Could not write register|Really redefine|Start it from the beginning/, gdb);
  });

  test('rewind replay without -a starts gdb connected to the replay, with checkpoint and restart', async () => {
    const s = steps(rec);
    const input = 'break compute\ncontinue\ncheckpoint\ncontinue\nprint x\nrestart 1\nprint x\nkill\nquit\n';
    const r = await rewind(['replay', rec.traceDir], { input, timeoutMs: 120_000 });
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout.toString(), new RegExp(`^\\(gdb\\) \\$1 = ${s[1]![0]}$`, 'm'), explain(r));
    assert.match(r.stdout.toString(), new RegExp(`^\\(gdb\\) \\$2 = ${s[0]![0]}$`, 'm'), explain(r));
    assert.doesNotMatch(r.stdout.toString() + r.stderr.toString(), /Really redefine|Start it from the beginning/, explain(r));
  });

  test('bad debugging options get a one-line error', async () => {
    const r = await rewind(['replay', '-p', '999999', rec.traceDir]);
    assert.equal(r.status, 125, explain(r));
    assert.match(r.stderr.toString(), /^rewind: replay: the trace has no process 999999/);
    const h = await rewind(['replay', '--host', '0.0.0.0', rec.traceDir]);
    assert.equal(h.status, 2, explain(h));
  });
});
