// Watchpoints and hbreak in software (REWIND_SOFTWARE=debugregs; the default where debug registers do
// not fire): a stack variable and a heap word, forwards and backwards; rwatch and awatch; more
// watchpoints than the 4 debug registers; hbreak both ways; the cost in `monitor info`. What gdb
// prints is checked against what the recorded run printed (watchme.c).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { debugReplay, printedNumbers, section } from '../helpers/gdb-session.js';
import { compileTo, explain, programsDir, record, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('gdb-watch');
after(() => space.cleanup());

const software = { env: { REWIND_SOFTWARE: 'debugregs' } };

interface Pass { local: number; heap: number; read: number; g: number }

function passes(rec: RecordResult): Pass[] {
  return [...rec.stdout.toString().matchAll(/^pass \d+ local (\d+) heap (\d+) read (\d+) g (\d+)$/gm)]
    .map((m) => ({ local: Number(m[1]), heap: Number(m[2]), read: Number(m[3]), g: Number(m[4]) }));
}

describe('software watchpoints and hbreak (watchme.c)', () => {
  let exe = '';
  let rec: RecordResult;
  let p: Pass[] = [];

  before(async () => {
    exe = path.join(space.mkdir('bin-'), 'watchme');
    compileTo(path.join(programsDir, 'watchme.c'), exe, { flags: ['-O0'] });
    rec = await record(exe, [], { space });
    assert.equal(rec.status, 0, explain(rec));
    p = passes(rec);
    assert.equal(p.length, 3, explain(rec));
  });

  test('a stack variable and a heap word: forwards each write, backwards the last one before', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break reader', 'continue', 'up', 'watch local', 'watch -l heap[3]', 'delete 1',
      'echo MARK-FWD\\n', 'continue', 'continue', 'echo MARK-BACK\\n', 'reverse-continue', 'reverse-continue', 'print local', 'print heap[3]',
      'echo MARK-INFO\\n', 'monitor info', 'kill',
    ], software);
    const fwd = section(gdb, 'MARK-FWD', 'MARK-BACK');
    assert.match(fwd, new RegExp(`Hardware watchpoint 2: local\\s+Old value = ${p[0]!.local}\\s+New value = ${p[1]!.local}`), gdb);
    // Forwards a watchpoint stops after the writing instruction (gdb shows the next statement), backwards before it.
    assert.match(fwd, new RegExp(`Hardware watchpoint 3: -location heap\\[3\\]\\s+Old value = ${p[0]!.heap}\\s+New value = ${p[1]!.heap}`), gdb);
    const back = section(gdb, 'MARK-BACK', 'MARK-INFO');
    // Going back, the heap write is undone first, then the stack write; each stops before its instruction.
    assert.match(back, new RegExp(`Hardware watchpoint 3: -location heap\\[3\\]\\s+Old value = ${p[1]!.heap}\\s+New value = ${p[0]!.heap}\\s+\\S+ in main[^\\n]*\\n[^\\n]*HEAP`), gdb);
    assert.match(back, new RegExp(`Hardware watchpoint 2: local\\s+Old value = ${p[1]!.local}\\s+New value = ${p[0]!.local}\\s+\\S+ in main[^\\n]*\\n[^\\n]*LOCAL`), gdb);
    assert.ok(back.indexOf('Hardware watchpoint 3') < back.indexOf('Hardware watchpoint 2'), gdb);
    assert.deepEqual(printedNumbers(gdb), [p[0]!.local, p[0]!.heap], gdb);
    assert.match(section(gdb, 'MARK-INFO'), /Software watchpoints \(page protection\): [1-9]\d* fault\(s\) on watched pages, [1-9]\d* hit\(s\)/, gdb);
  });

  test('rwatch stops at the read; awatch at the write and at the read; both backwards', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break reader', 'continue', 'up', 'rwatch -l heap[3]', 'delete 1', 'echo MARK-FWD\\n', 'continue', 'continue',
      'echo MARK-A\\n', 'delete', 'awatch -l heap[3]', 'continue', 'continue',
      'echo MARK-BACK\\n', 'reverse-continue', 'reverse-continue', 'kill',
    ], software);
    const r = section(gdb, 'MARK-FWD', 'MARK-A');
    // The read in reader() of pass 1 (the breakpoint stopped before it), then main's read for the line
    // it prints; the write of pass 2 changes the value, which gdb does not report for a read watchpoint.
    const read = (kind: string, n: number, v: number, where: string) =>
      new RegExp(`Hardware ${kind} watchpoint ${n}: -location heap\\[3\\]\\s+Value = ${v}\\s+[^\\n]*\\n[^\\n]*${where}`);
    assert.match(r, read('read', 2, p[0]!.heap, 'READ'), gdb);
    assert.match(r, read('read', 2, p[0]!.heap, 'say\\('), gdb);
    const a = section(gdb, 'MARK-A', 'MARK-BACK');
    assert.match(a, new RegExp(`Hardware access \\(read/write\\) watchpoint 3: -location heap\\[3\\]\\s+Old value = ${p[0]!.heap}\\s+New value = ${p[1]!.heap}`), gdb);
    assert.match(a, read('access \\(read/write\\)', 3, p[1]!.heap, 'READ'), gdb);
    // Backwards: that read again (stopped before it), then the write before it.
    const back = section(gdb, 'MARK-BACK');
    assert.match(back, read('access \\(read/write\\)', 3, p[1]!.heap, 'READ'), gdb);
    assert.match(back, new RegExp(`Hardware access \\(read/write\\) watchpoint 3: -location heap\\[3\\]\\s+Old value = ${p[1]!.heap}\\s+New value = ${p[0]!.heap}\\s+[^\\n]*\\n[^\\n]*HEAP`), gdb);
  });

  test('five watchpoints (more than the 4 debug registers) each stop, forwards and backwards', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break reader', 'continue', 'delete', 'watch g1', 'watch g2', 'watch g3', 'watch g4', 'watch g5',
      'echo MARK-FWD\\n', 'continue', 'continue', 'continue', 'continue', 'continue', 'echo MARK-BACK\\n', 'reverse-continue', 'reverse-continue',
      'print g5', 'print g4', 'kill',
    ], software);
    assert.doesNotMatch(gdb, /too many hardware breakpoints/, gdb);
    const fwd = section(gdb, 'MARK-FWD', 'MARK-BACK');
    for (let k = 1; k <= 5; k++) {
      assert.match(fwd, new RegExp(`Hardware watchpoint ${k + 1}: g${k}\\s+Old value = 0\\s+New value = 1`), gdb);
    }
    const back = section(gdb, 'MARK-BACK');
    assert.match(back, /Hardware watchpoint 6: g5\s+Old value = 1\s+New value = 0\s+[^\n]*\n[^\n]*G5[\s\S]*Hardware watchpoint 5: g4\s+Old value = 1\s+New value = 0\s+[^\n]*\n[^\n]*G4/, gdb);
    assert.deepEqual(printedNumbers(gdb), [0, 0], gdb);
  });

  test('hbreak in software: an int3 reported as a hardware breakpoint, forwards and backwards', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'hbreak reader', 'echo MARK-FWD\\n', 'continue', 'continue', 'continue', 'up', 'print local', 'echo MARK-BACK\\n',
      'reverse-continue', 'up', 'print local', 'reverse-continue', 'up', 'print local', 'reverse-continue', 'kill',
    ], software);
    assert.match(gdb, /Hardware assisted breakpoint 1 at/, gdb);
    assert.equal([...section(gdb, 'MARK-FWD', 'MARK-BACK').matchAll(/Breakpoint 1, reader/g)].length, 3, gdb);
    assert.deepEqual(printedNumbers(gdb), [p[2]!.local, p[1]!.local, p[0]!.local], gdb);
    assert.match(section(gdb, 'MARK-BACK'), /No more reverse-execution history/, gdb);
  });
});

describe('watchpoints on memory a system call writes (syscallwatch.c)', () => {
  // The kernel's write (and the syscall buffer's, which stands for it) traps nothing by itself: rewind
  // reports the recorded outputs that hit a watchpoint at the syscall's end, forwards, and going back
  // stops before the call, in order with the program's own writes.
  for (const buffer of [true, false]) {
    test(`read(2) and fstat(2) outputs stop like the program's own writes, both ways (${buffer ? 'buffered' : 'traced'})`, async () => {
      const exe = path.join(space.mkdir('bin-'), 'syscallwatch');
      compileTo(path.join(programsDir, 'syscallwatch.c'), exe, { flags: ['-O0'] });
      const file = path.join(space.mkdir('data-'), 'data.txt');
      // Long enough that the buffer's copy of it into `got` is a long loop the debugger must not step.
      fs.writeFileSync(file, 'hello\n' + 'x'.repeat(5000));
      const rec = await record(exe, [file], { space, extraArgs: [buffer ? '--syscall-buffer' : '--no-syscall-buffer'] });
      assert.equal(rec.status, 0, explain(rec));
      assert.match(rec.stdout.toString(), /^read 5006 first h\nsize 5006 first \+$/m, explain(rec));
      const { gdb } = await debugReplay(exe, rec.traceDir, [
        'break main', 'continue', 'watch got[0]', 'watch st.st_size',
        'echo MARK-FWD\\n', 'continue', 'continue', 'continue', 'continue',
        'echo MARK-BACK\\n', 'reverse-continue', 'reverse-continue', 'reverse-continue', 'print got[0]', 'kill',
      ]);
      const hit = (n: number, what: string, from: string, to: string) => `Hardware watchpoint ${n}: ${what}\\s+Old value = ${from}\\s+New value = ${to}\\s`;
      const fwd = section(gdb, 'MARK-FWD', 'MARK-BACK');
      assert.match(fwd, new RegExp([
        hit(2, 'got\\[0\\]', "0 '\\\\000'", "45 '-'"), hit(2, 'got\\[0\\]', "45 '-'", "104 'h'"),
        hit(2, 'got\\[0\\]', "104 'h'", "43 '\\+'"), hit(3, 'st.st_size', '0', '5006'),
      ].join('[\\s\\S]*?')), gdb);
      const back = section(gdb, 'MARK-BACK');
      assert.match(back, new RegExp([
        hit(3, 'st.st_size', '5006', '0'), hit(2, 'got\\[0\\]', "43 '\\+'", "104 'h'"), hit(2, 'got\\[0\\]', "104 'h'", "45 '-'"),
      ].join('[\\s\\S]*?')), gdb);
      assert.match(back, /\$1 = 45 '-'/, gdb);
      assert.doesNotMatch(gdb, /0x0*7fffc00[0-2][0-9a-f]{4}\b/, gdb);
    });
  }
});
