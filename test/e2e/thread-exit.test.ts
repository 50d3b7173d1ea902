// A process ending while it still has threads, and the one thing rewind refuses about threads for now.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, stderrLines, TempSpace } from '../helpers/harness.js';

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

test('execve from a process with other threads stops recording with one clear line; the trace replays up to there', async () => {
  const rec = await record(compileProgram('threadexec'), [], { space });
  assert.equal(rec.status, 125, explain(rec));
  const lines = stderrLines(rec);
  assert.equal(lines.length, 1, explain(rec));
  assert.match(lines[0]!, /^rewind: execve in a process that has other threads is not supported yet; recording stopped/);
  assert.match(rec.stdout.toString(), /^before exec pid \d+\n$/);
  const rep = await replay(rec.traceDir);
  assert.equal(rep.status, 125, explain(rep));
  assert.equal(rep.stdout.toString(), rec.stdout.toString());
  assert.match(stderrLines(rep).join('\n'), /^rewind: the trace ends early at event \d+/);
});
