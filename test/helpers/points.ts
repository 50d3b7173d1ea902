// Test helper for points between landmarks (points-*.test.ts): record a program until its trace has the
// point a test is about, then replay it many times.
import * as assert from 'node:assert/strict';
import { assertRecordedOk, assertReplayMatches } from './checks.js';
import { explain, record, replay, rewind, type TempSpace } from './harness.js';

export const REPLAYS = 20;

/**
 * Records exe and replays it REPLAYS times; returns the `rewind dump` of the trace. Whether the
 * recording has the point a test is about depends on scheduling (a loaded machine may run the
 * worker to its end before the spinner starts): up to 3 recordings are made until the dump shows
 * `wanted`, and the last one is replayed.
 */
export async function recordAndReplayPoints(space: TempSpace, exe: string, args: string[], wanted: RegExp): Promise<string> {
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
