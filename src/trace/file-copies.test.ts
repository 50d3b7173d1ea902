// The naming and ordering rules of the trace's file copies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byCopyNumber, copyFile, copyName, hasCopy, traceDirOf } from './file-copies.js';

const ref = (copy: string) => ({ path: '/usr/lib/x', copy, dev: 0n, ino: 0n, size: 0n, mtimeNs: 0n });

test('copyName: number, then the file name made safe; never a leading dot', () => {
  assert.equal(copyName(12, '/usr/lib/x86_64-linux-gnu/libc.so.6'), '12-libc.so.6');
  assert.equal(copyName(3, '/tmp/a b$c'), '3-a_b_c');
  assert.equal(copyName(4, '/'), '4-file');
  assert.equal(copyName(5, `/x/${'n'.repeat(100)}`).length, 2 + 64);
  assert.equal(copyName(1, '/tmp/.hidden').startsWith('.'), false);
});

test('byCopyNumber: in the order the recorder made them', () => {
  assert.deepEqual(['12-libc.so.6', '9-ld.so', '10-a', '10-A'].sort(byCopyNumber), ['9-ld.so', '10-A', '10-a', '12-libc.so.6']);
});

test('where a copy is; /dev/zero has none', () => {
  assert.equal(copyFile('/t/files', ref('2-x')), '/t/files/2-x');
  assert.equal(traceDirOf('/t/files'), '/t');
  assert.equal(hasCopy(ref('')), false);
  assert.equal(hasCopy(ref('2-x')), true);
});
