// The recorder's table of guarded ranges (guarded-memory.ts): how traced calls grow and shrink it, and
// what a fork child and an exec get. The buffer's use of it is tested end to end in sb-memory.test.ts.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYS } from '../kernel/syscall-names.js';
import { CodeSpaces, PatchedCode } from '../patch/code-patcher.js';
import type { Mapping } from '../tracee/maps.js';
import { addRange, GuardedMemory, removeRange } from './guarded-memory.js';

const K = 0x1000n;
const map = (start: bigint, end: bigint, perms: string, name: string, inode = 0): Mapping => ({ start, end, perms, offset: 0n, dev: '00:00', inode, name });

test('ranges merge when they meet or touch, and split when a piece is taken out', () => {
  let r = addRange([], 10n * K, 20n * K);
  r = addRange(r, 30n * K, 40n * K);
  r = addRange(r, 20n * K, 25n * K); // touches the first
  assert.deepEqual(r, [[10n * K, 25n * K], [30n * K, 40n * K]]);
  r = addRange(r, 24n * K, 31n * K); // meets both
  assert.deepEqual(r, [[10n * K, 40n * K]]);
  r = removeRange(r, 15n * K, 16n * K);
  assert.deepEqual(r, [[10n * K, 15n * K], [16n * K, 40n * K]]);
  assert.deepEqual(removeRange(r, 0n, 100n * K), []);
});

test('the table follows exec, traced mappings, fork and shmat', () => {
  const spaces = new CodeSpaces();
  const guarded = new GuardedMemory(spaces);
  spaces.execed(1, 1);
  spaces.set(1, PatchedCode.empty);
  guarded.execed(1, [
    map(0x400000n, 0x401000n, 'r-xp', '/bin/prog', 5), map(0x401000n, 0x402000n, 'rw-p', '/bin/prog', 5),
    map(0x402000n, 0x403000n, 'rw-p', '[heap]'), map(0x7000n * K, 0x7001n * K, 'rw-p', ''),
    map(0x7ff0n * K, 0x7ff1n * K, 'r--p', '[vvar]'), map(0x7ff1n * K, 0x7ff2n * K, 'r-xp', '[vdso]'),
    map(0x7ffen * K, 0x7fffn * K, 'rw-p', '[stack]'),
  ]);
  const ranges = () => guarded.of(1)!.ranges!;
  assert.deepEqual(ranges(), [[0x400000n, 0x402000n], [0x7ff0n * K, 0x7ff2n * K]], 'the file and the vDSO; not the heap, anonymous memory or the stack');
  const v0 = guarded.of(1)!.version;

  // An anonymous mapping the kernel placed changes nothing; a file's and a shared one are guarded.
  guarded.after(1, SYS.mmap, [0n, 2n * K, 3n, 0x22n, -1n, 0n], 0x5000n * K);
  assert.equal(guarded.of(1)!.version, v0);
  guarded.after(1, SYS.mmap, [0n, 2n * K, 1n, 0x2n, 3n, 0n], 0x5000n * K);
  guarded.after(1, SYS.mmap, [0n, K, 3n, 0x21n, -1n, 0n], 0x5010n * K);
  assert.deepEqual(ranges()[1], [0x5000n * K, 0x5002n * K]);
  assert.deepEqual(ranges()[2], [0x5010n * K, 0x5011n * K]);
  // Anonymous memory made executable is code; MAP_FIXED anonymous memory over a file is not guarded.
  guarded.after(1, SYS.mprotect, [0x7000n * K, K, 5n], 0n);
  assert.ok(ranges().some(([s, e]) => s === 0x7000n * K && e === 0x7001n * K));
  guarded.after(1, SYS.mmap, [0x5000n * K, K, 3n, 0x32n, -1n, 0n], 0x5000n * K);
  assert.ok(ranges().some(([s, e]) => s === 0x5001n * K && e === 0x5002n * K), 'the rest of the file mapping');
  assert.ok(!ranges().some(([s]) => s === 0x5000n * K));
  // A failed call changes nothing; munmap takes its range out; mremap of guarded memory guards its new place.
  const v1 = guarded.of(1)!.version;
  guarded.after(1, SYS.munmap, [0x400000n, K], -22n);
  assert.equal(guarded.of(1)!.version, v1);
  guarded.after(1, SYS.munmap, [0x5010n * K, K], 0n);
  assert.ok(!ranges().some(([s]) => s === 0x5010n * K));
  guarded.after(1, SYS.mremap, [0x5001n * K, K, 4n * K, 1n], 0x6000n * K);
  assert.ok(ranges().some(([s, e]) => s === 0x6000n * K && e === 0x6004n * K));

  // A fork child gets a copy; a thread shares the table.
  spaces.created(1, 2, false);
  guarded.created(1, 2, false);
  spaces.created(1, 3, true);
  guarded.created(1, 3, true);
  assert.deepEqual(guarded.of(2)!.ranges, ranges());
  guarded.after(2, SYS.munmap, [0x6000n * K, 4n * K], 0n);
  assert.ok(ranges().some(([s]) => s === 0x6000n * K), 'the parent keeps its own');
  assert.equal(guarded.of(3), guarded.of(1));
  // shmat: a segment of unknown size, so everything is guarded from then on.
  guarded.after(1, SYS.shmat, [7n, 0n, 0n], 0x7100n * K);
  assert.equal(guarded.of(1)!.ranges, null);
  guarded.after(1, SYS.mmap, [0n, K, 1n, 0x2n, 3n, 0n], 0x5000n * K);
  assert.equal(guarded.of(1)!.ranges, null, 'stays so');
});
