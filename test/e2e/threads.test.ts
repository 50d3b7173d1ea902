// Threads recorded and replayed: pthreads (TLS, barriers, timed waits, detached threads) and a fork
// from a thread (the rounds and checks: test/helpers/thread-rounds.ts).

import * as assert from 'node:assert/strict';
import { field } from '../helpers/checks.js';
import { threadRounds } from '../helpers/thread-rounds.js';

threadRounds('threads', [
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
]);
