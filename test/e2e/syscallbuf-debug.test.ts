// The syscall buffer's patched code, seen from the program and from gdb. Code the program maps, moves
// with mremap, shrinks and maps anew keeps working (sbcode.c: a moved site gets a stub of its own).
// Under gdb nothing of rewind's buffer shows: a single step over a patched libc wrapper runs through its
// stub and the buffer and stops after the original instructions, forward and backward, also when the
// call went on to the tracer (a pipe read: an event in the middle of the step; `-g` at the event after
// it starts after the site too); a breakpoint inside a
// patched site is refused with one line; and a watchpoint on bytes a buffered read writes stops in the
// read's wrapper, forwards after it and backwards before it, as without the buffer (the buffer's write
// stands for the kernel's, which rewind reports as a hit at the syscall's end).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay, printed, section } from '../helpers/gdb-session.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('syscallbuf-debug');
after(() => space.cleanup());

const BUFFER_REGION = /0x0*7fffc00[0-2][0-9a-f]{4}\b/;

function dataFile(): string {
  const file = space.path('data.txt');
  if (!fs.existsSync(file)) fs.writeFileSync(file, 'A first line of data\n' + 'more lines follow\n'.repeat(300));
  return file;
}

async function recordBuffered(name: string, args: string[], buffer = true): Promise<RecordResult> {
  const rec = await record(compileProgram(name), args, { space, extraArgs: [buffer ? '--syscall-buffer' : '--no-syscall-buffer'] });
  assertRecordedOk(rec, 0);
  return rec;
}

/** The pcs gdb printed (`p $pc`: `(void (*)()) 0x… <sym+N>`), as text. */
function pcs(gdb: string): string[] {
  return printed(gdb).filter((v) => v.startsWith('(void (*)()) ')).map((v) => v.slice('(void (*)()) '.length));
}

describe('patched syscall sites in code the program maps and moves (sbcode.c)', () => {
  test('a wrapper in a mapping moved by mremap, shrunk in place, unmapped and mapped anew returns the pid; replay matches', async () => {
    const rec = await recordBuffered('sbcode', []);
    const native = await runNative(compileProgram('sbcode'), []);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    for (const l of ['mapped', 'moved', 'moved again', 'shrunk', 'anew']) assert.match(rec.stdout.toString(), new RegExp(`^${l} same 1$`, 'm'));
    const dump = (await rewind(['dump', rec.traceDir])).stdout.toString();
    // The moved site is patched again, right after the mremap that moved it, with a stub of its own.
    assert.match(dump, /^\d+: tid \d+ mremap\(.*\n\d+: tid \d+ patched 1 site: syscall@/m, dump.slice(-4000));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

describe('gdb and the syscall buffer\'s patched code (syscallbuf.c)', () => {
  let basic: RecordResult;
  before(async () => {
    basic = await recordBuffered('syscallbuf', ['basic', dataFile()]);
  });

  test('stepi over a patched getpid stops after its syscall with the result; reverse-stepi goes back to its start', async () => {
    const { gdb } = await debugReplay(compileProgram('syscallbuf'), basic.traceDir,
      ['break main', 'continue', 'break getpid', 'continue', 'p $pc', 'stepi', 'p $pc', 'p $rax', 'reverse-stepi', 'p $pc', 'x/2i $pc']);
    assert.doesNotMatch(gdb, BUFFER_REGION, gdb);
    const [start, after, back] = pcs(gdb);
    const m = /^0x([0-9a-f]+) <([\w.]*getpid)>$/.exec(start ?? '');
    assert.ok(m, gdb);
    // mov $0x27,%eax (5 bytes) and syscall (2) ran as one step.
    assert.equal(after, `0x${(BigInt(`0x${m[1]}`) + 7n).toString(16)} <${m[2]}+7>`, gdb);
    const pid = /^0: tid (\d+) exec/m.exec((await rewind(['dump', basic.traceDir])).stdout.toString())?.[1];
    assert.ok(printed(gdb).includes(pid!), `rax after the step is the recorded pid ${pid}:\n${gdb}`);
    assert.equal(back, start, gdb);
    assert.match(gdb, /mov\s+\$0x27,%eax\n.*syscall/, gdb);
  });

  test('stepi through a read the buffer hands to the tracer (a pipe), then reverse-stepi, mirror each other', async () => {
    const rec = await recordBuffered('syscallbuf', ['dup2', dataFile()]);
    const steps = 34; // a thread exists: libc's read is the cancellable one (enables asynchronous cancellation first)
    const cmds = ['break dup_over', 'continue', 'break read', 'continue', 'continue', 'p $pc'];
    for (let i = 0; i < steps; i++) cmds.push('stepi', 'p $pc');
    for (let i = 0; i < steps; i++) cmds.push('reverse-stepi', 'p $pc');
    const { gdb } = await debugReplay(compileProgram('syscallbuf'), rec.traceDir, cmds);
    assert.doesNotMatch(gdb, BUFFER_REGION, gdb);
    const seen = pcs(gdb);
    assert.equal(seen.length, 2 * steps + 1, gdb);
    const forward = seen.slice(0, steps + 1);
    assert.deepEqual(seen.slice(steps), [...forward].reverse(), gdb);
    assert.match(forward[0]!, /read>$/, gdb);
    // The event of the pipe read came in the middle of a step: its site is one step, not a stop in the buffer.
    const dump = (await rewind(['dump', rec.traceDir])).stdout.toString();
    const traced = /^(\d+): tid \d+ read\(0x3, .*\) = 0xd .*@0x7fffc0/m.exec(dump);
    assert.ok(traced, 'the pipe read went to the tracer from the buffer');
    // Started at the boundary after that event (the thread is inside the buffer there): shown after the site.
    const at = await debugReplay(compileProgram('syscallbuf'), rec.traceDir, ['p $pc', 'p $rax', 'reverse-stepi', 'p $pc'],
      { args: ['-g', String(Number(traced[1]) + 1)] });
    assert.doesNotMatch(at.gdb, BUFFER_REGION, at.gdb);
    const [there, before] = pcs(at.gdb);
    assert.ok(forward.includes(there!) && forward.indexOf(before!) === forward.indexOf(there!) - 1, `${at.gdb}\nforward: ${forward.join(', ')}`);
    assert.ok(printed(at.gdb).includes('13'), at.gdb);
  });

  test('a breakpoint inside a patched site is refused with one line naming the site', async () => {
    const { gdb, server } = await debugReplay(compileProgram('syscallbuf'), basic.traceDir,
      ['break main', 'continue', 'break getpid', 'continue', 'break *($pc+5)', 'continue']);
    assert.doesNotMatch(gdb, BUFFER_REGION, gdb);
    assert.match(server, /^rewind: no breakpoint at 0x[0-9a-f]+: rewind replaced the syscall wrapper at 0x[0-9a-f]+ by a jump to its syscall buffer, .* or record with --no-syscall-buffer$/m,
      `${server}\ngdb:\n${gdb}`);
  });

  test('a breakpoint inserted before its library was loaded and patched is left out with one line, and the run goes on', async () => {
    const first = await debugReplay(compileProgram('syscallbuf'), basic.traceDir,
      ['break main', 'continue', 'break getpid', 'continue', 'p/x $pc+5', 'kill']);
    const inside = /^\$1 = (0x[0-9a-f]+)$/m.exec(first.gdb)?.[1];
    assert.ok(inside, first.gdb);
    // From the start, before libc is mapped: gdb inserts it, libc is mapped and patched under it.
    const { gdb, server } = await debugReplay(compileProgram('syscallbuf'), basic.traceDir,
      [`break *${inside}`, 'continue', 'echo MARK-END\\n', 'kill']);
    assert.match(gdb, /MARK-END/, gdb);
    assert.doesNotMatch(gdb, /Breakpoint 1, /, gdb);
    const lines = server.split('\n').filter((l) => l.startsWith(`rewind: no breakpoint at ${inside}:`));
    assert.equal(lines.length, 1, `${server}\ngdb:\n${gdb}`);
    assert.match(lines[0]!, /rewind replaced the syscall wrapper at 0x[0-9a-f]+ by a jump to its syscall buffer, .* \(left out\)$/, server);
  });

  test('a watchpoint on bytes a buffered read writes stops in the read wrapper, as without the buffer, both ways', async () => {
    const plain = await recordBuffered('syscallbuf', ['basic', dataFile()], false);
    const cmds = ['break basic', 'continue', 'watch -l buf[2]', 'echo MARK-FWD\\n', 'continue', 'p $pc', 'echo MARK-BACK\\n', 'reverse-continue', 'p $pc', 'kill'];
    const withBuffer = await debugReplay(compileProgram('syscallbuf'), basic.traceDir, cmds);
    const without = await debugReplay(compileProgram('syscallbuf'), plain.traceDir, cmds);
    const both = `with the buffer:\n${withBuffer.gdb}\nwithout:\n${without.gdb}`;
    assert.doesNotMatch(withBuffer.gdb, BUFFER_REGION, withBuffer.gdb);
    for (const { gdb } of [withBuffer, without]) {
      // Forwards: the read's write ("A first line": buf[2] is 'f'), stopped after the syscall; backwards: before it.
      assert.match(section(gdb, 'MARK-FWD', 'MARK-BACK'), /Old value = 0 '\\000'\s+New value = 102 'f'/, both);
      assert.match(section(gdb, 'MARK-BACK'), /Old value = 102 'f'\s+New value = 0 '\\000'/, both);
    }
    // Without the buffer the stops are right after and at the syscall instruction; with it, after and at
    // the patched site, which holds the syscall instruction and the instructions the jump displaced.
    const offsets = (gdb: string) => pcs(gdb).map((pc) => {
      const m = /<(?:__GI___libc_read|__libc_read|read)\+(\d+)>$/.exec(pc);
      assert.ok(m, `not in libc's read wrapper: ${pc}\n${both}`);
      return Number(m[1]);
    });
    const [bufFwd, bufBack] = offsets(withBuffer.gdb);
    const [fwd, back] = offsets(without.gdb);
    assert.equal(fwd! - back!, 2, both);
    assert.ok(bufBack! <= back! && bufFwd! >= fwd! && bufFwd! - bufBack! <= 16, both);
  });
});
