// Test helper: threads (and signals between threads and processes) recorded and replayed, for the
// test files test/e2e/threads*.test.ts (split so that each stays well inside the file timeout on a
// slow machine). For each C program:
//   1. two native runs print different things (thread ids, pids, times, addresses), so a replay
//      that printed anything but the recording would be caught;
//   2. 20 rounds in a row of: `rewind record` (status 0, EXIT-SUCCESS, the same line shape as a native
//      run, the program's own sanity lines) then `rewind replay -a` (stdout, stderr and status byte
//      for byte). Scheduling, preemption and signal placement differ from one recording to the next,
//      so a placement the replayer gets wrong only now and then shows up as a failure here.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, keepFailedTrace, labels } from './checks.js';
import { bytesEqual, compileProgram, explain, record, replay, runNative, TempSpace, type RunResult } from './harness.js';

export const ROUNDS = 20;

export interface ThreadCase {
  name: string;
  /** Lines (or line starts) that a native run and every recording must contain. */
  sane: string[];
  /** Line labels of the output may legitimately vary in order between runs (threads printing). */
  unorderedLabels?: boolean;
  /** Extra checks of one recording's stdout. */
  check?: (out: string, native: string) => void;
}

/** Native runs until two differ (at most 3). */
async function nativePair(exe: string): Promise<[RunResult, RunResult]> {
  const a = await runNative(exe);
  let b = await runNative(exe);
  if (bytesEqual(a.stdout, b.stdout)) b = await runNative(exe);
  return [a, b];
}

function sortedLabels(out: Buffer): string[] {
  return labels(out).sort();
}

/** Declares the native check and the ROUNDS rounds of record + replay for each case. */
export function threadRounds(spaceName: string, cases: readonly ThreadCase[]): void {
  const space = new TempSpace(spaceName);
  after(() => space.cleanup());
  for (const c of cases) {
    describe(`${c.name}.c`, () => {
      let native: RunResult | undefined;

      it('prints different things in two native runs, and its sanity lines', async () => {
        const exe = compileProgram(c.name);
        const [a, b] = await nativePair(exe);
        for (const r of [a, b]) {
          assert.equal(r.status, 0, explain(r));
          assert.ok(r.stdout.toString().endsWith('EXIT-SUCCESS\n'), explain(r));
          for (const line of c.sane) assert.ok(r.stdout.toString().includes(line), `native run lacks "${line}"\n${explain(r)}`);
          c.check?.(r.stdout.toString(), a.stdout.toString());
        }
        assertDiffer(a, b, c.name);
        native = a;
      });

      it(`${ROUNDS} rounds of record + replay -a: each recording is sane and each replay matches it byte for byte`, async () => {
        const exe = compileProgram(c.name);
        const ref = native ?? (await runNative(exe));
        assert.equal(ref.status, 0, explain(ref));
        const outputs = new Set<string>();
        for (let round = 0; round < ROUNDS; round++) {
          const rec = await record(exe, [], { space });
          try {
            assertRecordedOk(rec, 0);
            const out = rec.stdout.toString();
            const shape = c.unorderedLabels ? [sortedLabels(rec.stdout), sortedLabels(ref.stdout)] : [labels(rec.stdout), labels(ref.stdout)];
            assert.deepEqual(shape[0], shape[1], `round ${round}: line labels differ from a native run\n${explain(rec)}\n${explain(ref)}`);
            for (const line of c.sane) assert.ok(out.includes(line), `round ${round}: recording lacks "${line}"\n${explain(rec)}`);
            c.check?.(out, ref.stdout.toString());
            const rep = await replay(rec.traceDir);
            assertReplayMatches(rec, rep);
            outputs.add(out);
          } catch (e) {
            const kept = keepFailedTrace(rec.traceDir, c.name);
            (e as Error).message = `round ${round + 1} of ${ROUNDS} (trace kept at ${kept}): ${(e as Error).message}`;
            throw e;
          }
          fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
        }
        // Each recording prints its own ids and times: they were not all the same.
        assert.ok(outputs.size > 1, `all ${ROUNDS} recordings printed the same output`);
      });
    });
  }
}
