// Threads recorded and replayed: signals between threads and processes (the rounds and checks:
// test/helpers/thread-rounds.ts).

import * as assert from 'node:assert/strict';
import { field } from '../helpers/checks.js';
import { threadRounds } from '../helpers/thread-rounds.js';

threadRounds('thread-signals', [
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
]);
