// Tests for restart-point.ts: the words after gdb's `run` → where the replay restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRestartPoint } from './restart-point.js';

const NAMES = ['/tmp/prog', 'prog'];

test('nothing or the program name: the start; cN: a checkpoint; eN: an event', () => {
  assert.deepEqual(parseRestartPoint([], NAMES), { kind: 'start' });
  assert.deepEqual(parseRestartPoint([''], NAMES), { kind: 'start' });
  assert.deepEqual(parseRestartPoint(['prog'], NAMES), { kind: 'start' });
  assert.deepEqual(parseRestartPoint(['/tmp/prog'], NAMES), { kind: 'start' });
  assert.deepEqual(parseRestartPoint(['c1'], NAMES), { kind: 'checkpoint', n: 1 });
  assert.deepEqual(parseRestartPoint(['', 'e40'], NAMES), { kind: 'event', n: 40 });
  assert.deepEqual(parseRestartPoint(['c0'], NAMES), { kind: 'checkpoint', n: 0 });
});

test('anything else is an error message naming the forms', () => {
  for (const bad of [['c'], ['e-1'], ['c1x'], ['x1'], ['40'], ['C1'], ['c1', 'c2'], ['e' + '9'.repeat(16)], ['other']]) {
    const r = parseRestartPoint(bad, NAMES);
    assert.equal(typeof r, 'string', JSON.stringify(bad));
    assert.match(r as string, /run takes nothing \(the start\), cN \(checkpoint N\) or eN \(event N\)/);
  }
});
