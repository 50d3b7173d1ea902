// A process ending while it still has threads, and execve in a process that has other threads (from the
// main thread, and from another thread, which takes over the main thread's tid).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertDiffer, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, rewind, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('thread-exit');
after(() => space.cleanup());

for (const mode of ['block', 'sleep', 'spin']) {
  test(`main returns while another thread is alive (${mode}): 5 rounds, replay matches`, async () => {
    const prog = compileProgram('threadexit');
    for (let round = 1; round <= 5; round++) {
      const rec = await record(prog, [mode], { space });
      assert.equal(rec.status, 4, `round ${round}: ${explain(rec)}`);
      assert.match(rec.stdout.toString(), new RegExp(`^pid \\d+ mode ${mode} time \\d+\\nEXIT-SUCCESS\\n$`));
      const rep = await replay(rec.traceDir);
      assertReplayMatches(rec, rep);
    }
  });
}

test('the main thread execs /bin/echo while another thread runs: 3 rounds, replay matches', async () => {
  const prog = compileProgram('threadexec');
  for (let round = 1; round <= 3; round++) {
    const rec = await record(prog, [], { space });
    assert.equal(rec.status, 0, `round ${round}: ${explain(rec)}`);
    assert.match(rec.stdout.toString(), /^before exec pid \d+\nafter-exec\n$/, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  }
});

for (const { mode, status, out } of [
  { mode: 'echo', status: 0, out: /^main pid \d+ time \d+\nthread execs: is-main no\nafter-exec from-a-thread\n$/ },
  { mode: 'self', status: 7, out: /^main pid (\d+) time \d+\nthread execs: is-main no\nchild pid \1 tid-is-pid yes time \d+\nEXIT-SUCCESS\n$/ },
]) {
  test(`a thread that is not the main one execs (${mode}) and takes over the main thread's tid: 3 rounds, replay matches`, async () => {
    const prog = compileProgram('execthread');
    const native = [await runNative(prog, [mode]), await runNative(prog, [mode])];
    for (const r of native) {
      assert.equal(r.status, status, explain(r));
      assert.match(r.stdout.toString(), out, explain(r));
    }
    assertDiffer(native[0]!, native[1]!, `execthread ${mode}`);
    for (let round = 1; round <= 3; round++) {
      const rec = await record(prog, [mode], { space });
      assert.equal(rec.status, status, `round ${round}: ${explain(rec)}`);
      assert.match(rec.stdout.toString(), out, explain(rec));
      const dump = await rewind(['dump', rec.traceDir]);
      assert.match(dump.stdout.toString(), /exec \S+ \[.*\], takes over tid \d+\n/, explain(dump));
      assertReplayMatches(rec, await replay(rec.traceDir));
    }
  });
}
