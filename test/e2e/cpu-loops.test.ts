// Signals that land in CPU-bound loops without system calls, after millions of passes (ITIMER_REAL,
// ITIMER_VIRTUAL and ITIMER_PROF one-shots, then a periodic timer): replay finds each point with an
// in-process conditional trap (src/patch/point-trap.ts) instead of a ptrace stop per pass, which could
// not get past a million passes. Replays must print exactly the recorded counts.
import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('cpu-loops');
after(() => space.cleanup());

let exe = '';
let rec: RecordResult;

before(async () => {
  exe = compileProgram('cpuloop');
  rec = await record(exe, [], { space });
});

test('native runs count differently; each signal lands after over a million passes', async () => {
  const a = await runNative(exe);
  const b = await runNative(exe);
  assert.equal(a.status, 0, explain(a));
  assert.notEqual(a.stdout.toString(), b.stdout.toString());
  assert.match(a.stdout.toString(), /^fewest-passes-over-a-million yes$/m, explain(a));
});

test('the recording runs as natively: signals after millions of passes', () => {
  assertRecordedOk(rec, 0);
  assert.match(rec.stdout.toString(), /^fewest-passes-over-a-million yes$/m, explain(rec));
  for (const label of ['real-count', 'virtual-count', 'prof-count', 'periodic-1-count', 'periodic-3-count']) {
    assert.match(rec.stdout.toString(), new RegExp(`^${label} \\d+$`, 'm'), explain(rec));
  }
});

test('5 replays print the recorded counts exactly', async () => {
  for (let i = 0; i < 5; i++) assertReplayMatches(rec, await replay(rec.traceDir));
});
