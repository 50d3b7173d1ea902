// A sleep interrupted by a default-ignored signal is restarted by the kernel (restart_syscall).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, rewind, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('restart');
after(() => space.cleanup());

test('nanosleep interrupted by SIGCHLD and restarted: 5 rounds, replay matches', async () => {
  const prog = compileProgram('restart');
  let sawRestart = false;
  for (let round = 1; round <= 5; round++) {
    const rec = await record(prog, [], { space });
    assert.equal(rec.status, 0, `round ${round}: ${explain(rec)}`);
    assert.match(rec.stdout.toString(), /^nanosleep 0 child \d+ status 7 slept-at-least-30ms yes slept \d+\nEXIT-SUCCESS\n$/);
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    const dump = await rewind(['dump', rec.traceDir]);
    if (/ restart_syscall\(/.test(dump.stdout.toString())) sawRestart = true;
  }
  // The child's exit lands during the sleep in (nearly) every run; at least one round must show the restart.
  assert.ok(sawRestart, 'no round recorded a restart_syscall');
});
