import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSCALL_NR_MAX, syscallName } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import { irregularCall } from './irregular.js';

/** The syscalls irregularCall answers for, by number. */
const reached = (): number[] => [...Array(SYSCALL_NR_MAX + 1).keys()].filter((nr) => irregularCall(nr) !== undefined);

test('the engines reach the halves of mmap, mremap, shmat and shmdt by number, and nothing else', () => {
  assert.deepEqual(reached().map(syscallName), ['mmap', 'mremap', 'shmat', 'shmdt']);
  assert.equal(irregularCall(-1), undefined);
});

test('a replay half is only for a call replay runs for real (Replayer.replayExecuted reaches it)', () => {
  for (const nr of reached()) {
    const call = irregularCall(nr)!;
    if (call.replay || call.runsAsRecorded) assert.equal(syscallDef(nr)?.kind, 'execute', syscallName(nr));
  }
});
