// perf_event_open (perfcount.c): software events are opened for real at record, the counts the program
// reads (read, ioctl ID) come back from the trace at replay; a hardware event gets the kernel's own
// answer. The ring buffer (mmap of the fd) and O_ASYNC signals from it are refused with one line.
// Counts differ from run to run (task-clock, context switches), so 20 rounds of record + replay.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertDiffer, assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('perf-events');
after(() => space.cleanup());
const ROUNDS = 20;

describe('perf_event_open (perfcount.c)', () => {
  test(`task-clock, context switches and page faults counted: ${ROUNDS} rounds, replay prints what the recording read`, async () => {
    const exe = compileProgram('perfcount');
    const a = await runNative(exe);
    const b = await runNative(exe);
    assert.equal(a.status, 0, explain(a));
    assertDiffer(a, b, 'perfcount');
    const hw = /^hardware-event .*$/m.exec(a.stdout.toString())![0];
    for (let round = 1; round <= ROUNDS; round++) {
      const rec = await record(exe, [], { space });
      assertRecordedOk(rec, 0);
      const out = rec.stdout.toString();
      assert.match(out, /^round 2 task-clock-ns [1-9]\d* context-switches \d+ enabled [1-9]\d* running [1-9]\d* id-matches yes page-faults [1-9]\d*$/m, explain(rec));
      assert.ok(out.includes('disabled-stays yes\n'), explain(rec));
      assert.ok(out.includes(`${hw}\n`), `round ${round}: the hardware event's answer differs from a native run's ("${hw}")\n${explain(rec)}`);
      assertReplayMatches(rec, await replay(rec.traceDir));
    }
  });

  test('private: a private mapping of the fd, which the kernel refuses, is recorded as the failure it is and replayed', async () => {
    const exe = compileProgram('perfcount');
    const native = await runNative(exe, ['private']);
    assert.equal(native.status, 0, explain(native));
    assert.match(native.stdout.toString(), /^private mapping of the ring buffer: Invalid argument$/m, explain(native));
    const rec = await record(exe, ['private'], { space });
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /^private mapping of the ring buffer: Invalid argument$/m, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  for (const [mode, what] of [['mmap', /unsupported mmap: mapping a perf event's ring buffer/], ['async', /unsupported fcntl: signals from a perf event/]] as const) {
    test(`${mode}: refused at record with one line; the trace replays up to there`, async () => {
      const exe = compileProgram('perfcount');
      const native = await runNative(exe, [mode]);
      assert.equal(native.status, 0, explain(native));
      const rec = await record(exe, [mode], { space });
      assert.equal(rec.status, 125, explain(rec));
      assertOneLineError(rec, 'record');
      assert.match(rec.stderr.toString(), what);
    });
  }
});
