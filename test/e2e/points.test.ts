// Points between landmarks: a signal delivered at an arbitrary instruction of a loop with no system call
// (SIGALRM from a 5 ms interval timer) and the preemption of a thread that spins without system calls.
// Where a loop keeps its state only in memory, the registers are the same at every pass and only the
// memory hash recorded with the point tells replay which pass it was. Each program is recorded once
// and replayed 20 times: every replay must print exactly what the recording printed.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import {
  compileProgram, compileTo, explain, programsDir, record, replay, rewind, runNative, TempSpace,
} from '../helpers/harness.js';

const space = new TempSpace('points');
after(() => space.cleanup());

const REPLAYS = 20;

/** Records exe once and replays it REPLAYS times; returns the `rewind dump` of the trace. */
async function recordAndReplay(exe: string, args: string[]): Promise<string> {
  const rec = await record(exe, args, { space });
  assertRecordedOk(rec);
  for (let i = 1; i <= REPLAYS; i++) {
    const rep = await replay(rec.traceDir);
    try {
      assertReplayMatches(rec, rep);
    } catch (e) {
      throw new Error(`replay ${i} of ${REPLAYS}: ${(e as Error).message}`);
    }
  }
  const dump = await rewind(['dump', rec.traceDir]);
  assert.equal(dump.status, 0, explain(dump));
  return dump.stdout.toString();
}

for (const { mode, opt, state } of [
  { mode: 'global', opt: '-O2', state: 'a global volatile' },
  { mode: 'stack', opt: '-O0', state: 'a local volatile on the stack' },
  { mode: 'reg', opt: '-O2', state: 'a register' },
]) {
  test(`alarmcount ${mode} (${opt}, count in ${state}): SIGALRM lands in a loop without syscalls; 20 replays print the recorded count`, async () => {
    const exe = space.path(`alarmcount${opt}`);
    compileTo(path.join(programsDir, 'alarmcount.c'), exe, { flags: [opt] });
    const native = [await runNative(exe, [mode]), await runNative(exe, [mode])];
    for (const r of native) assert.equal(r.status, 0, explain(r));
    assertDiffer(native[0]!, native[1]!, `alarmcount ${mode}`);
    const dump = await recordAndReplay(exe, [mode]);
    assert.match(dump, /signal SIGALRM at instruction @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16} \(\d+ bytes\)/, dump);
  });
}

for (const mode of ['flag', 'count', 'shared']) {
  test(`spincount ${mode}: a thread spinning without syscalls is preempted; 20 replays print the recorded counts`, async () => {
    const exe = compileProgram('spincount');
    if (mode !== 'flag') {
      const native = [await runNative(exe, [mode]), await runNative(exe, [mode])];
      for (const r of native) assert.equal(r.status, 0, explain(r));
      assertDiffer(native[0]!, native[1]!, `spincount ${mode}`);
    }
    const dump = await recordAndReplay(exe, [mode]);
    assert.match(dump, /preempted @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16}/, dump);
  });
}
