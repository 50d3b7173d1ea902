// The syscall buffer's patched code, seen from the program and from gdb. Code the program maps, moves
// with mremap, shrinks and maps anew keeps working (sbcode.c: a moved site gets a stub of its own).
// Under gdb nothing of rewind's buffer shows: a single step over a patched libc wrapper runs through its
// stub and the buffer and stops after the original instructions, forward and backward, also when the
// call went on to the tracer (a pipe read: an event in the middle of the step); a breakpoint inside a
// patched site is refused with one line; and a watchpoint on bytes a buffered read writes stops where it
// stops without the buffer (a kernel write is no hit, and the buffer's write stands for the kernel's).
import * as assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('syscallbuf-debug');
after(() => space.cleanup());

async function recordBuffered(name: string, args: string[]): Promise<RecordResult> {
  const rec = await record(compileProgram(name), args, { space, extraArgs: ['--syscall-buffer'] });
  assertRecordedOk(rec, 0);
  return rec;
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
