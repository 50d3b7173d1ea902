// Threads recorded and replayed: a thread spinning on a flag another sets, and an unsynchronised
// counter (the rounds and checks: test/helpers/thread-rounds.ts).

import * as assert from 'node:assert/strict';
import { field } from '../helpers/checks.js';
import { threadRounds } from '../helpers/thread-rounds.js';

threadRounds('thread-races', [
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
]);
