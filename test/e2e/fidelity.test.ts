// System-call fidelity: what Linux does at the edges, recorded and replayed exactly — unknown syscall
// numbers (ENOSYS), bad pointers given to execve (EFAULT), programs that signal their own process
// group, and the data of write-like calls checked at replay.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('fidelity');
after(() => space.cleanup());

describe('unknown syscall numbers (badsyscall.c)', () => {
  test('each gives ENOSYS as natively, recorded and replayed', async () => {
    const exe = compileProgram('badsyscall');
    const native = await runNative(exe);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    for (const nr of ['0xffffffffffffffff', '0x3e8', '0x40000027', '0x400003e8']) {
      assert.match(rec.stdout.toString(), new RegExp(`syscall\\(${nr}\\) = -1 errno ENOSYS`), explain(rec));
    }
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
  });
});
