// Threads (and signals between threads and processes) recorded and replayed. For each C program:
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
import { assertDiffer, assertRecordedOk, assertReplayMatches, field, keepFailedTrace, labels } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, runNative, TempSpace, type RunResult } from '../helpers/harness.js';

const ROUNDS = 20;

interface ThreadCase {
  name: string;
  /** Lines (or line starts) that a native run and every recording must contain. */
  sane: string[];
  /** Line labels of the output may legitimately vary in order between runs (threads printing). */
  unorderedLabels?: boolean;
  /** Extra checks of one recording's stdout. */
  check?: (out: string, native: string) => void;
}

const cases: ThreadCase[] = [
  {
    name: 'threads',
    sane: [
      'all-checked-in 4',
      'joined worker-0 returned 200',
      'joined worker-1 returned 202',
      'joined worker-2 returned 204',
      'joined worker-3 returned 206',
      'returns-total 812 shared-sum 10000 tids-distinct yes main-tls-intact yes main',
      'timedwait etimedout yes waited-at-least-20ms yes',
      'early-exit returned 8',
      'sleeper returned 1 detached-done 1',
    ],
    unorderedLabels: true,
    check: (out) => {
      for (let i = 0; i < 4; i++) {
        assert.equal(field(out, `worker-${i}`, 'tls'), String(100 + i), `worker-${i} TLS value\n${out}`);
        assert.equal(field(out, `worker-${i}`, 'tid-differs-from-pid'), 'yes', out);
      }
      const serials = out.split('\n').filter((l) => / barrier-serial 1$/.test(l)).length;
      assert.equal(serials, 1, `exactly one thread is the barrier's serial thread\n${out}`);
    },
  },
  {
    name: 'threadfork',
    sane: ['child-of-thread pid', 'ppid-is-main yes single-thread yes', 'forker reaped yes exited 1 code 6', 'naps-positive yes', 'main reaped yes exited 1 code 8', 'worker returned 1'],
    unorderedLabels: true,
    check: (out) => {
      const childPid = field(out, 'child-of-thread', 'pid');
      assert.equal(field(out, 'joined', 'child-pid'), childPid, `the thread's fork returned the child's pid\n${out}`);
    },
  },
  {
    name: 'spinflag',
    sane: ['flag-seen result '],
    check: (out, native) => {
      // The setter's computation is deterministic: the recording must see the same value.
      assert.equal(field(out, 'flag-seen', 'result'), field(native, 'flag-seen', 'result'), `${out}\n${native}`);
    },
  },
  {
    name: 'racy',
    sane: ['in-range yes'],
  },
  {
    name: 'threadsig',
    sane: [
      'SIGUSR1 handler sig 10 on tid',
      'interrupted 1',
      'usr1 ran-on-target yes not-main yes',
      'SIGUSR2 handler sig 12 on tid',
      'usr2 count 1 taken-by-a-waiter yes',
      'SIGCHLD handler sig 17',
      'si_status 9 code-exited yes',
      'sigchld from-child yes status 9 reaped yes code 9',
    ],
    check: (out) => {
      assert.equal(field(out, 'SIGUSR1', 'tid'), field(out, 'reader', 'tid'), `SIGUSR1 ran on the thread it was sent to\n${out}`);
    },
  },
];

const space = new TempSpace('threads');
after(() => space.cleanup());

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

/** On a failure, copy the trace out of the temporary space so it can be examined after the run. */
