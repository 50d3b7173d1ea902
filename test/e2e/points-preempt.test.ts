// Points between landmarks: the preemption of a thread that spins without system calls. Where the loop
// keeps its state only in memory, the registers are the same at every pass and only the memory hash
// recorded with the point tells replay which pass it was. Each program is recorded once and replayed 20
// times: every replay must print what the recording printed. (Signals in such loops: points-signals.test.ts.)

import * as assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertDiffer } from '../helpers/checks.js';
import { compileProgram, explain, runNative, TempSpace } from '../helpers/harness.js';
import { recordAndReplayPoints } from '../helpers/points.js';
import { useHardware } from '../../src/tracee/capabilities.js';

const space = new TempSpace('points-preempt');
after(() => space.cleanup());

for (const mode of ['flag', 'count', 'shared']) {
  test(`spincount ${mode}: a thread spinning without syscalls is preempted; 20 replays print the recorded counts`, async () => {
    const exe = compileProgram('spincount');
    if (mode !== 'flag') {
      const native = [await runNative(exe, [mode]), await runNative(exe, [mode])];
      for (const r of native) assert.equal(r.status, 0, explain(r));
      assertDiffer(native[0]!, native[1]!, `spincount ${mode}`);
    }
    const point = /preempted @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16}/;
    const dump = await recordAndReplayPoints(space, exe, [mode], point);
    assert.match(dump, point, dump);
  });
}

test('repcopy: threads preempted during `rep movsb` copies (a halfway state replay cannot stop at) are preempted after them; 20 replays match', async () => {
  const exe = compileProgram('repcopy');
  const dump = await recordAndReplayPoints(space, exe, [], /preempted @0x/);
  assert.match(dump, /preempted @0x/, dump);
});

test('jitspin: a thread preempted in code it rewrites at every pass (a JIT\'s) is found by a hardware breakpoint; 20 replays match', async (t) => {
  if (!useHardware('debug-registers')) {
    t.skip('debug registers are not used here: a point in code the program rewrites is searched with an int3 it may overwrite');
    return;
  }
  const exe = compileProgram('jitspin');
  const inPage = /preempted @0x3a00[0-9a-f]{4} by regs\+memory/;
  const dump = await recordAndReplayPoints(space, exe, [], inPage);
  assert.match(dump, inPage, dump);
});
