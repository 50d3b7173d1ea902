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

/**
 * Records exe and replays it REPLAYS times; returns the `rewind dump` of the trace. Whether the
 * recording has the point a test is about depends on scheduling (a loaded machine may run the
 * worker to its end before the spinner starts): up to 3 recordings are made until the dump shows
 * `wanted`, and the last one is replayed.
 */
async function recordAndReplay(exe: string, args: string[], wanted: RegExp): Promise<string> {
  let rec = await record(exe, args, { space });
  let dump = '';
  for (let attempt = 1; ; attempt++) {
    assertRecordedOk(rec);
    const d = await rewind(['dump', rec.traceDir]);
    assert.equal(d.status, 0, explain(d));
    dump = d.stdout.toString();
    if (wanted.test(dump) || attempt === 3) break;
    rec = await record(exe, args, { space });
  }
  for (let i = 1; i <= REPLAYS; i++) {
    const rep = await replay(rec.traceDir);
    try {
      assertReplayMatches(rec, rep);
    } catch (e) {
      throw new Error(`replay ${i} of ${REPLAYS}: ${(e as Error).message}`);
    }
  }
  return dump;
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
    const point = /signal SIGALRM at instruction @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16} \(\d+ bytes\)/;
    const dump = await recordAndReplay(exe, [mode], point);
    assert.match(dump, point, dump);
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
    const point = /preempted @0x[0-9a-f]+ by regs\+memory [0-9a-f]{16}/;
    const dump = await recordAndReplay(exe, [mode], point);
    assert.match(dump, point, dump);
  });
}
