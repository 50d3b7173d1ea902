// Debugging a replay with the real gdb, beyond gdb-replay.test.ts: threads (info threads, thread N,
// thread-specific breakpoints, continuing and going back across threads), a forked child (-p),
// conditional and temporary breakpoints, until/advance/finish, shared libraries and auxv, hardware
// breakpoints (hbreak), and stepping over syscall instructions. What gdb prints is checked against
// what the recorded run printed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { breakInThread, debugReplay, printedNumbers, section, selectThread } from '../helpers/gdb-session.js';
import { compileTo, explain, programsDir, record, rewind, TempSpace, type RecordResult } from '../helpers/harness.js';
import { useHardware } from '../../src/tracee/capabilities.js';

const space = new TempSpace('gdb-more');
after(() => space.cleanup());

/** Compiles test/programs/NAME.c at -O0 (variables stay visible to gdb) and records it. */
async function build(name: string, args: string[] = []): Promise<{ exe: string; rec: RecordResult }> {
  const exe = path.join(space.mkdir('bin-'), name);
  compileTo(path.join(programsDir, `${name}.c`), exe, { flags: ['-O0'] });
  const rec = await record(exe, args, { space });
  assert.equal(rec.status, 0, explain(rec));
  return { exe, rec };
}

/** The line of test/programs/NAME.c holding a marker comment. */
function lineOf(name: string, marker: string): number {
  const lines = fs.readFileSync(path.join(programsDir, `${name}.c`), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`/* ${marker} */`));
  assert.ok(i >= 0, `${name}.c has no ${marker}`);
  return i + 1;
}

/** The recorded tids of the threads gdb named as current (`thread` with no argument), in order. */
function currentTids(gdb: string): number[] {
  return [...gdb.matchAll(/\[Current thread is \d+ \(Thread \d+\.(\d+)/g)].map((m) => Number(m[1]));
}

interface Round { idx: number; tid: number; round: number; seed: number; value: number }

describe('threads (gdbthreads.c)', () => {
  let exe = '';
  let rec: RecordResult;
  /** The workers' rounds in the order they ran (the program makes them take turns). */
  let rounds: Round[] = [];
  let mainTid = 0;
  const tidOf = (idx: number) => rounds.find((r) => r.idx === idx)!.tid;
  const seedOf = (idx: number) => rounds.find((r) => r.idx === idx)!.seed;

  before(async () => {
    ({ exe, rec } = await build('gdbthreads'));
    const out = rec.stdout.toString();
    rounds = [...out.matchAll(/^worker (\d+) tid (\d+) round (\d+) seed (\d+) value (\d+)$/gm)]
      .map((m) => ({ idx: Number(m[1]), tid: Number(m[2]), round: Number(m[3]), seed: Number(m[4]), value: Number(m[5]) }));
    assert.equal(rounds.length, 9, out);
    assert.deepEqual(rounds.map((r) => r.idx), [0, 1, 2, 0, 1, 2, 0, 1, 2], out);
    mainTid = Number(/^main tid (\d+)/m.exec(out)?.[1]);
  });

  test('info threads lists every thread; thread N switches, and bt and print show that thread\'s values', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break work', 'continue', 'continue', 'continue', 'echo MARK-THREADS\\n', 'info threads', 'thread', 'print idx', 'print round', 'print seed',
      'echo MARK-W0\\n', selectThread(tidOf(0)), 'bt', 'frame function worker', 'print idx', 'print seed',
      'echo MARK-W1\\n', selectThread(tidOf(1)), 'frame function worker', 'print idx', 'print seed', 'kill',
    ]);
    const list = section(gdb, 'MARK-THREADS', 'MARK-W0');
    for (const tid of [mainTid, tidOf(0), tidOf(1), tidOf(2)]) assert.match(list, new RegExp(`Thread ${mainTid}\\.${tid}\\b`), gdb);
    assert.match(list, new RegExp(`^\\*\\s+\\d+\\s+Thread ${mainTid}\\.${tidOf(2)} .* work \\(idx=2, round=0, seed=${seedOf(2)}\\)`, 'm'), gdb);
    assert.deepEqual(currentTids(gdb), [tidOf(2)], gdb);
    assert.match(section(gdb, 'MARK-W0', 'MARK-W1'), /in worker \(arg=0x0\) at .*gdbthreads\.c/, gdb);
    assert.deepEqual(printedNumbers(gdb), [2, 0, seedOf(2), 0, seedOf(0), 1, seedOf(1)], gdb);
  });

  test('continue stops in each thread in turn; reverse-continue goes back to hits in other threads', async () => {
    const forward = ['continue', 'thread', 'print idx', 'print round', 'print seed'];
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break work', ...forward, ...forward, ...forward, ...forward, ...forward, 'echo MARK-BACK\\n',
      'reverse-continue', 'thread', 'print idx', 'print round', 'print seed',
      'reverse-continue', 'thread', 'print idx', 'print round', 'print seed',
      'echo MARK-AGAIN\\n', 'continue', 'thread', 'print idx', 'print round', 'kill',
    ]);
    const order = [0, 1, 2, 3, 4, 3, 2];
    assert.deepEqual(currentTids(gdb), [...order.map((i) => rounds[i]!.tid), rounds[3]!.tid], gdb);
    const values = order.flatMap((i) => [rounds[i]!.idx, rounds[i]!.round, rounds[i]!.seed]);
    assert.deepEqual(printedNumbers(gdb), [...values, rounds[3]!.idx, rounds[3]!.round], gdb);
    assert.match(section(gdb, 'MARK-BACK', 'MARK-AGAIN'), new RegExp(`Switching to Thread ${mainTid}\\.${rounds[3]!.tid}`), gdb);
  });

  test('a thread-specific breakpoint stops only in its thread, forwards and backwards', async () => {
    const w1 = tidOf(1);
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break work', 'continue', 'continue', 'continue', 'delete', breakInThread('work', w1),
      'continue', 'thread', 'print round', 'continue', 'thread', 'print round',
      'reverse-continue', 'thread', 'print round', 'kill',
    ]);
    assert.deepEqual(currentTids(gdb), [w1, w1, w1], gdb);
    assert.deepEqual(printedNumbers(gdb), [1, 2, 1], gdb);
    assert.match(gdb, /Breakpoint 2 at .*: file .*gdbthreads\.c/, gdb);
  });

  test('hbreak: the debug registers are set in every thread; reverse-continue reaches another thread\'s hit', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'hbreak work', 'continue', 'thread', 'continue', 'thread', 'continue', 'thread', 'print seed',
      'reverse-continue', 'thread', 'print seed', 'info breakpoints', 'kill',
    ]);
    assert.deepEqual(currentTids(gdb), [tidOf(0), tidOf(1), tidOf(2), tidOf(1)], gdb);
    assert.deepEqual(printedNumbers(gdb), [seedOf(2), seedOf(1)], gdb);
    assert.match(gdb, /Hardware assisted breakpoint 1 at/, gdb);
    assert.match(gdb, /hw breakpoint\s+keep y .* in work at .*gdbthreads\.c:\d+\n\s+breakpoint already hit 4 times/, gdb);
  });
});

describe('a forked child (gdbfork.c, replay -p)', () => {
  let exe = '';
  let rec: RecordResult;
  let child = 0;
  let parent = 0;
  let helper = 0;
  let seed = 0;
  let values: number[] = [];

  before(async () => {
    ({ exe, rec } = await build('gdbfork'));
    const out = rec.stdout.toString();
    const rows = [...out.matchAll(/^child pid (\d+) round (\d+) seed (\d+) value (\d+)$/gm)];
    assert.equal(rows.length, 3, out);
    child = Number(rows[0]![1]);
    seed = Number(rows[0]![3]);
    values = rows.map((m) => Number(m[4]));
    parent = Number(/^parent pid (\d+)/m.exec(out)?.[1]);
    helper = Number(/^helper tid (\d+)/m.exec(out)?.[1]);
  });

  test('breakpoints in the child show its recorded values, finish its return value, reverse-continue its earlier call', async () => {
    const { gdb, server } = await debugReplay(exe, rec.traceDir, [
      'break child_work', 'continue', 'print round', 'print seed', 'finish',
      'continue', 'continue', 'print round', 'reverse-continue', 'print round', 'print seed', 'info inferiors', 'kill',
    ], { args: ['-p', String(child)] });
    assert.match(server, new RegExp(`serving the replay of process ${child} `));
    assert.match(gdb, new RegExp(`Value returned is \\$\\d+ = ${values[0]}\\b`), gdb);
    assert.deepEqual(printedNumbers(gdb), [0, seed, 2, 1, seed], gdb);
    assert.match(gdb, new RegExp(`process ${child}\\b`), gdb);
  });

  test('-p with the tid of a thread names its process', async () => {
    const r = await rewind(['replay', '-s', '0', '-p', String(helper), rec.traceDir]);
    assert.equal(r.status, 125, explain(r));
    assert.equal(r.stderr.toString(), `rewind: replay: ${helper} is a thread of process ${parent}; -p takes a process id (rewind ps lists them)\n`);
  });
});

describe('breakpoint kinds and stepping (debugme.c)', () => {
  let exe = '';
  let rec: RecordResult;
  /** step i → [x, value, counter] as the recorded run printed them. */
  let s: number[][] = [];

  before(async () => {
    ({ exe, rec } = await build('debugme'));
    s = [...rec.stdout.toString().matchAll(/^step (\d+) x (\d+) value (\d+) counter (\d+)$/gm)].map((m) => m.slice(2).map(Number));
    assert.equal(s.length, 5, rec.stdout.toString());
  });

  test('conditional and temporary breakpoints, until, advance, finish', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      `break compute if x == ${s[2]![0]}`, 'continue', 'print x', 'delete',
      'tbreak compute', 'continue', 'print x', 'echo MARK-LIST\\n', 'info breakpoints', 'echo MARK-UNTIL\\n',
      `until ${lineOf('debugme', 'COMPUTE-RETURN')}`, 'print y', 'finish',
      `advance ${lineOf('debugme', 'STORE')}`, 'print counter', 'kill',
    ]);
    assert.deepEqual(printedNumbers(gdb), [s[2]![0], s[3]![0], s[3]![1], s[3]![2]], gdb);
    assert.match(gdb, new RegExp(`Temporary breakpoint 2, compute \\(x=${s[3]![0]}\\)`), gdb);
    assert.match(section(gdb, 'MARK-LIST', 'MARK-UNTIL'), /No breakpoints or watchpoints/, gdb);
    assert.match(gdb, new RegExp(`Value returned is \\$\\d+ = ${s[3]![1]}\\b`), gdb);
  });

  test('info sharedlibrary lists libc (by its recorded path, from qXfer:libraries-svr4), info auxv the recorded program', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, ['break compute', 'continue', 'info sharedlibrary', 'info auxv', 'kill']);
    // gdb reads it from the server (target:), which serves the trace's copy; the name is the recorded one.
    const libc = /^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes\s+(?:target:)?(\/\S*libc\.so\.6)$/m.exec(gdb);
    assert.ok(libc, gdb);
    assert.ok(!libc[1]!.startsWith(rec.traceDir), `libc named by the trace's copy: ${libc[1]}`);
    assert.match(gdb, /^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes\s+\S*ld-linux-x86-64\.so\.2$/m, gdb);
    assert.match(gdb, new RegExp(`AT_EXECFN\\s+File name of executable\\s+0x[0-9a-f]+ "${exe}"`), gdb);
    assert.match(gdb, /AT_PAGESZ\s+System page size\s+4096/, gdb);
  });

  test('hbreak stops forwards and backwards; too many debug registers is refused (not in software); hbreak and a watchpoint share them', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'hbreak compute', 'continue', 'print x', 'continue', 'print x', 'continue', 'print x',
      'reverse-continue', 'print x', 'print counter', 'continue', 'print x',
      'echo MARK-FULL\\n', 'hbreak main', 'hbreak scribble', 'hbreak say', 'watch counter', 'continue',
      'echo MARK-SHARED\\n', 'delete 2 3', 'continue', 'reverse-continue', 'reverse-continue', 'print x', 'kill',
    ]);
    assert.deepEqual(printedNumbers(gdb), [s[0]![0], s[1]![0], s[2]![0], s[1]![0], s[0]![2], s[2]![0], s[2]![0]], gdb);
    assert.match(gdb, new RegExp(`Breakpoint 1, compute \\(x=${s[1]![0]}\\)`), gdb);
    const full = section(gdb, 'MARK-FULL', 'MARK-SHARED');
    const shared = section(gdb, 'MARK-SHARED');
    const forwardWrite = new RegExp(`Hardware watchpoint 5: counter\\s+Old value = ${s[1]![2]}\\s+New value = ${s[2]![2]}`);
    if (useHardware('debug-registers')) {
      assert.match(full, /You may have requested too many hardware breakpoints\/watchpoints/, gdb);
      // hbreak compute, hbreak say and the watchpoint fit in the 4 slots: the next stop is the write of
      // counter after compute(x2); going back, that write is undone first, then that compute is hit.
      assert.match(shared, forwardWrite, gdb);
    } else {
      // Software watchpoints and hbreak (int3) have no slot limit: all four are set, and the next stop is
      // the write of counter; after it, continuing stops at hbreak say.
      assert.doesNotMatch(full, /too many hardware breakpoints/, gdb);
      assert.match(full, forwardWrite, gdb);
      assert.match(shared, /Breakpoint 4, say/, gdb);
    }
    assert.match(shared, new RegExp(`Hardware watchpoint 5: counter\\s+Old value = ${s[2]![2]}\\s+New value = ${s[1]![2]}`), gdb);
    assert.match(shared, new RegExp(`Breakpoint 1, compute \\(x=${s[2]![0]}\\)`), gdb);
  });
});

test('hbreak at the instruction where the recording preempted a spinning thread: the same hits as break, both ways', async () => {
  // The spinning thread is preempted when the thread it waits for has not run yet; on a loaded machine
  // that thread may run first, so record until the trace has a preemption.
  const built = await build('spinflag');
  const exe = built.exe;
  let rec = built.rec;
  let at: string | undefined;
  for (let tries = 1; ; tries++) {
    const dump = await rewind(['dump', rec.traceDir]);
    at = /preempted @(0x[0-9a-f]+)/.exec(dump.stdout.toString())?.[1];
    if (at || tries === 5) break;
    rec = await record(exe, [], { space });
    assert.equal(rec.status, 0, explain(rec));
  }
  assert.ok(at, 'five recordings of spinflag had no preemption');
  // Three continues, then three reverse-continues, each followed by the event number: which of them
  // hit the breakpoint, and where.
  const moves = ['continue', 'continue', 'continue', 'reverse-continue', 'reverse-continue', 'reverse-continue'];
  const hits = async (kind: string) => {
    const commands = [`${kind} *${at}`];
    moves.forEach((m, i) => commands.push(`echo MARK-${i}\\n`, m, 'monitor when'));
    const { gdb } = await debugReplay(exe, rec.traceDir, [...commands, `echo MARK-${moves.length}\\n`, 'kill']);
    return moves.map((_, i) => {
      const out = section(gdb, `MARK-${i}`, `MARK-${i + 1}`);
      const event = Number(/Current event: (\d+)/.exec(out)?.[1]);
      return /Breakpoint 1, /.test(out) ? event : /No more reverse-execution history/.test(out) ? 'edge' : `neither: ${out}`;
    });
  };
  const hard = await hits('hbreak');
  const forward = hard.slice(0, 3).filter((h) => typeof h === 'number');
  const backward = hard.slice(3).filter((h) => typeof h === 'number');
  assert.ok(forward.length >= 1 && forward.length <= 2, `hits: ${hard.join(' ')}`);
  assert.deepEqual(hard.slice(0, 3), [...forward, 'edge', 'edge'].slice(0, 3), `forward to the end: ${hard.join(' ')}`);
  assert.deepEqual(backward, [...forward].reverse(), `backwards meets the same hits: ${hard.join(' ')}`);
  assert.deepEqual(await hits('break'), hard, 'int3 and debug-register breakpoints stop at the same points');
});

test('stepping over syscall instructions (emulated and executed) and back', async () => {
  const { exe, rec } = await build('gdbsyscall');
  const { gdb } = await debugReplay(exe, rec.traceDir, [
    'break emulated_syscall', 'break executed_syscall', 'continue',
    'stepi', 'print $pc == after_emulated', 'print ($r11 & 0x100) == 0', 'print $rax',
    'reverse-stepi', 'print $pc == emulated_syscall', 'stepi', 'print $pc == after_emulated',
    'continue', 'stepi', 'print $pc == after_executed', 'print ($r11 & 0x100) == 0', 'print $rax',
    'reverse-stepi', 'print $pc == executed_syscall', 'stepi', 'stepi', 'print $pc == after_executed + 1', 'kill',
  ]);
  const pid = Number(/^pid (\d+) sigprocmask 0 /m.exec(rec.stdout.toString())?.[1]);
  assert.deepEqual(printedNumbers(gdb), [1, 1, pid, 1, 1, 1, 1, 0, 1, 1], gdb);
});
