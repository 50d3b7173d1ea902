// Points between landmarks: a signal delivered at an arbitrary instruction of a loop with no system call
// (SIGALRM from a 5 ms interval timer). Where a loop keeps its state only in memory, the registers are the
// same at every pass and only the memory hash recorded with the point tells replay which pass it was.
// Each program is recorded once and replayed 20 times: every replay must print what the recording printed.
// (Preemptions of spinning threads: points-preempt.test.ts.)

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { assertNativeRunsDiffer } from '../helpers/checks.js';
import { compileTo, programsDir, TempSpace } from '../helpers/harness.js';
import { recordAndReplayPoints } from '../helpers/points.js';

const space = new TempSpace('points-signals');
after(() => space.cleanup());

for (const { mode, opt, state } of [
  { mode: 'global', opt: '-O2', state: 'a global volatile' },
  { mode: 'stack', opt: '-O0', state: 'a local volatile on the stack' },
  { mode: 'reg', opt: '-O2', state: 'a register' },
]) {
  test(`alarmcount ${mode} (${opt}, count in ${state}): SIGALRM lands in a loop without syscalls; 20 replays print the recorded count`, async () => {
    const exe = space.path(`alarmcount${opt}`);
    compileTo(path.join(programsDir, 'alarmcount.c'), exe, { flags: [opt] });
    await assertNativeRunsDiffer(exe, [mode], `alarmcount ${mode}`);
    const point = /signal SIGALRM at instruction @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16} \(\d+ bytes\)/;
    const dump = await recordAndReplayPoints(space, exe, [mode], point);
    assert.match(dump, point, dump);
  });
}

