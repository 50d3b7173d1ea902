// Points between landmarks: the preemption of a thread that spins without system calls. Where the loop
// keeps its state only in memory, the registers are the same at every pass and only the memory hash
// recorded with the point tells replay which pass it was. Each program is recorded once and replayed 20
// times: every replay must print what the recording printed. (Signals in such loops: points-signals.test.ts.)
// A thread that does make system calls gives way at one instead, once its slice is used (slicecalls).

import * as assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, rewind, runNative, TempSpace } from '../helpers/harness.js';
import { recordAndReplayPoints } from '../helpers/points.js';

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

test('slicecalls: threads that make syscalls the buffer takes give way at one when their slice is used (a syscall event, no point to search); replays match', async () => {
  const exe = compileProgram('slicecalls');
  const rec = await record(exe, [], { space, extraArgs: ['--syscall-buffer'] });
  assertRecordedOk(rec, 0);
  const native = await runNative(exe, []);
  assert.equal(rec.stdout.toString(), native.stdout.toString(), 'the results are the native ones');
  const dump = (await rewind(['dump', rec.traceDir])).stdout.toString();
  // Each switch is a getppid the buffer gave to the tracer (the rest of them are buffered); a thread
  // that reached none in time (a loaded machine) was interrupted instead.
  const traced = dump.match(/^\d+: tid \d+ getppid\(/gm)?.length ?? 0;
  const buffered = dump.match(/^ {2}\[buffered \d+\] tid \d+ getppid\(/gm)?.length ?? 0;
  assert.ok(traced >= 1, `switches at a syscall: ${traced}\n${dump.slice(0, 3000)}`);
  assert.ok(buffered > 10 * traced, `most getppid calls are buffered: ${buffered}, traced ${traced}`);
  assertReplayMatches(rec, await replay(rec.traceDir));
});

test('repcopy: threads preempted during `rep movsb` copies (a halfway state replay cannot stop at) are preempted after them; 20 replays match', async () => {
  const exe = compileProgram('repcopy');
  const dump = await recordAndReplayPoints(space, exe, [], /preempted @0x/);
  assert.match(dump, /preempted @0x/, dump);
});

test('jitspin: a thread preempted in code it rewrites at every pass (a JIT\'s) is found with a hardware breakpoint and with its page write-protected; replays match', async () => {
  const exe = compileProgram('jitspin');
  const inPage = /preempted @0x3a00[0-9a-f]{4} by regs\+memory/;
  let rec = await record(exe, [], { space });
  for (let attempt = 1; attempt < 8 && !inPage.test((await rewind(['dump', rec.traceDir])).stdout.toString()); attempt++) {
    rec = await record(exe, [], { space });
  }
  assertRecordedOk(rec);
  const dump = (await rewind(['dump', rec.traceDir])).stdout.toString();
  assert.match(dump, inPage, dump);
  // The default search (a debug register where they work) and the one without debug registers.
  for (const env of [process.env, { ...process.env, REWIND_SOFTWARE: 'debugregs' }]) {
    for (let i = 1; i <= 5; i++) {
      const rep = await replay(rec.traceDir, { env });
      try {
        assertReplayMatches(rec, rep);
      } catch (e) {
        throw new Error(`replay ${i} (REWIND_SOFTWARE=${env['REWIND_SOFTWARE'] ?? ''}): ${(e as Error).message}`);
      }
    }
  }
});
