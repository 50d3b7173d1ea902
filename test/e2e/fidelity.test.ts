// Replay fidelity for scheduling and signals: programs whose recording used to hang, crawl or be
// killed, or whose replay hung or diverged. For each C program:
//   1. a native run ends with EXIT-SUCCESS and prints its sanity lines;
//   2. a few rounds of `rewind record` (it ends in time, with the native run's status, the same line
//      labels and the sanity lines: it ran as it does natively) then `rewind replay -a` (stdout, stderr
//      and status byte for byte).
// FIDELITY_ROUNDS=20 runs 20 rounds each (how these were checked); the suite runs a few.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertRecordedOk, assertReplayMatches, keepFailedTrace, labels } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, runNative, TempSpace } from '../helpers/harness.js';

const ROUNDS = Number(process.env.FIDELITY_ROUNDS ?? 3);

interface FidelityCase {
  name: string;
  /** Lines (or line parts) a native run and every recording must contain. */
  sane: string[];
  /** Line labels may come in another order (threads printing). */
  unorderedLabels?: boolean;
  /** A recording must end within this long (a recording that crawls is a failure too). */
  recordMs: number;
  check?: (out: string) => void;
}

const cases: FidelityCase[] = [
  {
    // Item 1: futex wakes must reach the woken threads; sched_yield must hand the CPU to the others.
    name: 'prodcons',
    sane: ['items 10000 sum 50005000 expected 50005000 producers-done 2', 'yield-phase done yields '],
    recordMs: 40_000,
  },
  {
    // Item 2: the program's affinity, getcpu, policy and nice requests are answered as asked, while
    // rewind keeps every task on its one CPU at normal priority.
    name: 'affinity',
    sane: ['policies-ok yes', 'restored yes counter 60'],
    unorderedLabels: true,
    recordMs: 30_000,
    check: (out) => {
      for (let i = 0; i < 3; i++) {
        assert.ok(out.includes(`worker-${i} mask-count 1 mask-is-wanted yes getcpu-is-wanted yes syscall-getcpu-is-wanted yes policies-ok yes nice ${5 + i}`), out);
      }
      assert.ok(/main cpus \d+ pinned-to-last yes/.test(out), out);
    },
  },
  {
    // Item 3: threads appending to one O_APPEND file with random 0-2 ms sleeps.
    name: 'appendsleep',
    sane: ['file-size 1120 lines 160 bad 0 each-once yes per-thread-order yes'],
    recordMs: 30_000,
  },
  {
    // Item 4: process-directed timer signals (setitimer, timer_create) that main blocks; a sleeping
    // thread woken for a signal its sibling took restarts its call (restart_syscall) at replay too.
    name: 'proctimer',
    sane: ['alarms-enough yes usr1-enough yes never-on-main yes'],
    recordMs: 30_000,
  },
  {
    // Item 5: what SA_SIGINFO handlers are told (sigqueue value, kill from a child, CLD_EXITED, SI_TIMER).
    name: 'siginfo',
    sane: ['sig 10 code -1 pid ', 'sig 12 code 0 pid ', 'sig 17 code 1 pid ', ' status 7 value 0', 'reaped exited 1 code 7',
      'sig 34 code -2 pid 0 uid 0 status 0 value 99 errno 0'],
    // SIGUSR2 from the child and SIGCHLD for its exit may come in either order, natively too.
    unorderedLabels: true,
    recordMs: 30_000,
    check: (out) => {
      const self = out.match(/^self pid (\d+)/m)?.[1];
      const child = out.match(/^child pid (\d+)/m)?.[1];
      assert.ok(out.includes(`sig 10 code -1 pid ${self} `), `sigqueue's si_pid is the process\n${out}`);
      assert.ok(out.includes(`sig 12 code 0 pid ${child} `), `kill's si_pid is the child\n${out}`);
      assert.ok(out.includes(`sig 17 code 1 pid ${child} `), `SIGCHLD's si_pid is the child\n${out}`);
    },
  },
  {
    // Item 6: a child that stops itself really stops until SIGCONT; children killed by signals.
    name: 'stopcont',
    sane: [' stopped sig 19\n', ' continued\n', 'stopper resumed\n', ' exited code 5\n', ' killed sig 9\n', ' killed sig 15\n',
      ' killed sig 11\n', ' killed sig 6\n'],
    // After SIGCONT the child and the parent's waitpid race; before it, the child is stopped.
    unorderedLabels: true,
    recordMs: 30_000,
    check: (out) => assert.ok(out.indexOf(' stopped sig 19\n') < out.indexOf('stopper resumed\n'), `the child ran on while stopped\n${out}`),
  },
  {
    // Item 7: real-time signals queued while blocked, delivered one at a time and nested, in order.
    name: 'rtqueue',
    sane: ['one-at-a-time delivered 12 in-order yes', 'nested delivered 12 in-order no'],
    recordMs: 30_000,
    check: (out) => assert.ok(!out.includes('code -6'), `a signal rewind re-sent reached the program\n${out}`),
  },
];

const space = new TempSpace('fidelity');
after(() => space.cleanup());

function shape(out: Buffer, unordered: boolean): string[] {
  const l = labels(out);
  return unordered ? l.sort() : l;
}

for (const c of cases) {
  describe(`${c.name}.c`, () => {
    it(`records as it runs natively and replays exactly, ${ROUNDS} rounds`, async () => {
      const exe = compileProgram(c.name);
      const ref = await runNative(exe);
      assert.equal(ref.status, 0, explain(ref));
      assert.ok(ref.stdout.toString().endsWith('EXIT-SUCCESS\n'), explain(ref));
      for (const line of c.sane) assert.ok(ref.stdout.toString().includes(line), `native run lacks "${line}"\n${explain(ref)}`);
      c.check?.(ref.stdout.toString());
      const cpus = ref.stdout.toString().match(/ cpus (\d+) /)?.[1];
      for (let round = 0; round < ROUNDS; round++) {
        const rec = await record(exe, [], { space, timeoutMs: c.recordMs });
        try {
          assertRecordedOk(rec, 0);
          const out = rec.stdout.toString();
          assert.deepEqual(shape(rec.stdout, c.unorderedLabels ?? false), shape(ref.stdout, c.unorderedLabels ?? false),
            `line labels differ from a native run\n${explain(rec)}\n${explain(ref)}`);
          for (const line of c.sane) assert.ok(out.includes(line), `recording lacks "${line}"\n${explain(rec)}`);
          c.check?.(out);
          // The program sees the CPUs it would natively, not the one rewind runs it on.
          if (cpus) assert.equal(out.match(/ cpus (\d+) /)?.[1], cpus, out);
          const rep = await replay(rec.traceDir, { timeoutMs: 60_000 });
          assertReplayMatches(rec, rep);
        } catch (e) {
          const kept = keepFailedTrace(rec.traceDir, c.name);
          (e as Error).message = `round ${round + 1} of ${ROUNDS} (trace kept at ${kept}): ${(e as Error).message}`;
          throw e;
        }
        fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
      }
    });
  });
}

/** On a failure, copy the trace out of the temporary space so it can be examined after the run. */
