// The calls the buffer runs are listed twice: in C (max_output in native/syscallbuf/syscallbuf.c, which
// decides) and here (calls.ts, which the site finder patches for). The two lists must be the same.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../native/package-root.js';
import { syscallName } from '../kernel/syscall-names.js';
import { BUFFERED_SYSCALLS, REPLAY_EXECUTED_SYSCALLS } from './calls.js';

test('calls.ts lists exactly the calls max_output in syscallbuf.c handles', () => {
  const c = readFileSync(join(packageRoot, 'native', 'syscallbuf', 'syscallbuf.c'), 'utf8');
  const start = c.indexOf('static i64 max_output(');
  assert.ok(start >= 0, 'max_output in syscallbuf.c');
  const body = c.slice(start, c.indexOf('\n}\n', start));
  const inC = new Set([...body.matchAll(/case (\d+):/g)].map((m) => Number(m[1])));
  const name = (nr: number): string => `${syscallName(nr)} (${nr})`;
  assert.deepEqual([...inC].filter((nr) => !BUFFERED_SYSCALLS.has(nr)).map(name), [], 'in syscallbuf.c only');
  assert.deepEqual([...BUFFERED_SYSCALLS].filter((nr) => !inC.has(nr)).map(name), [], 'in calls.ts only');
});

test('the calls replay lets through from the buffer are exactly those executed() in syscallbuf.c makes for real', () => {
  const c = readFileSync(join(packageRoot, 'native', 'syscallbuf', 'syscallbuf.c'), 'utf8');
  const def = /static int executed\(i64 nr\) \{ return ([^;]*); \}/.exec(c);
  assert.ok(def, 'executed() in syscallbuf.c');
  const inC = [...def[1]!.matchAll(/nr == (\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  assert.deepEqual(inC, [...REPLAY_EXECUTED_SYSCALLS].sort((a, b) => a - b));
  for (const nr of REPLAY_EXECUTED_SYSCALLS) assert.ok(BUFFERED_SYSCALLS.has(nr), `${syscallName(nr)} is buffered`);
});
