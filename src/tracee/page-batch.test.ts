// PageBatch on a real traced program (test/programs/hwwatch.c, stopped at its int3): reads see the
// batch's own writes, the task's memory changes only at flush, a write across a page boundary and into
// read-only code lands whole, and a write into unmapped memory is refused with nothing written. Also
// Task.write into read-only code, small (ptrace words) and large (/proc/PID/mem); prefetch's one read
// of scattered pages (Task.readScatter).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, runToTrap, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import { readMaps } from './maps.js';
import { PageBatch } from './page-batch.js';

test('a PageBatch writes into the task only at flush, and reads its own writes', () => {
  const task = startTraced(compileProgram('hwwatch'));
  try {
    runToTrap(task);
    const rip = task.fetchRegs()[R.rip]!;
    const code = readMaps(task.tid).find((m) => m.start <= rip && rip < m.end)!;
    assert.equal(code.perms.slice(0, 3), 'r-x', 'the program\'s code is read-only');
    // Two writes straddling the boundary between the code's first and second page, if it has two.
    const boundary = code.start + 4096n < code.end ? code.start + 4096n : code.start + 2048n;
    const at = boundary - 3n;
    const before = task.read(at, 16);
    const batch = new PageBatch(task);
    assert.deepEqual(batch.readPartial(at, 16), before);
    batch.write(at, Uint8Array.of(1, 2, 3, 4, 5, 6));
    batch.write(at + 8n, Uint8Array.of(9));
    const expected = Uint8Array.from(before);
    expected.set([1, 2, 3, 4, 5, 6], 0);
    expected[8] = 9;
    assert.deepEqual(batch.readPartial(at, 16), expected, 'the batch reads its own writes');
    assert.deepEqual(task.read(at, 16), before, 'the task is unchanged before flush');
    // Unmapped memory: refused, and the batch's other writes are still to come.
    assert.throws(() => batch.write(0x1000n, Uint8Array.of(0)), /cannot write 1 bytes at 0x1000/);
    assert.equal(batch.readPartial(0x1000n, 4).length, 0);
    batch.flush();
    assert.deepEqual(task.read(at, 16), expected, 'flushed');
    batch.flush(); // nothing left to write
    // Back as it was, through Task.write: a small write (ptrace words) and a large one (/proc/PID/mem).
    task.write(at, before);
    assert.deepEqual(task.read(at, 16), before);
    const large = task.read(code.start, 200);
    task.write(code.start, new Uint8Array(200).fill(0x90));
    assert.deepEqual(task.read(code.start, 200), new Uint8Array(200).fill(0x90));
    task.write(code.start, large);
    assert.deepEqual(task.read(code.start, 200), large);
    // The program runs on from its trap as if nothing happened.
    assert.deepEqual(runToSignal(task), { kind: 'exited', code: 44 });
  } finally {
    killTraced(task);
  }
});

test('prefetch reads scattered pages in one call, and a page it could not read is read when used', () => {
  const task = startTraced(compileProgram('hwwatch'));
  try {
    runToTrap(task);
    const maps = readMaps(task.tid).filter((m) => m.perms[0] === 'r' && m.name !== '[vvar]' && m.name !== '[vsyscall]');
    // An address near the end of a page (its next page is read too), two in other pages.
    const first = maps[0]!;
    const last = maps[maps.length - 1]!;
    const nearEnd = first.start + 4096n - 8n;
    const readable = [nearEnd, last.start + 100n, first.start + 16n];
    const batch = new PageBatch(task);
    batch.prefetch(readable);
    assert.deepEqual(batch.readPartial(nearEnd, 16), task.readPartial(nearEnd, 16), 'across into the next page');
    for (const a of readable.slice(1)) assert.deepEqual(batch.readPartial(a, 32), task.read(a, 32));
    // With an unmapped address among them (a hole between two mappings), the kernel's read stops
    // there: the pages after it are read when used.
    const hole = maps.findIndex((m, i) => i + 1 < maps.length && m.end < maps[i + 1]!.start);
    assert.ok(hole >= 0, 'no hole between the mappings');
    const unmapped = maps[hole]!.end;
    const other = new PageBatch(task);
    other.prefetch([first.start, unmapped, last.start]);
    assert.deepEqual(other.readPartial(last.start, 64), task.read(last.start, 64));
    assert.equal(other.readPartial(unmapped, 4).length, 0);
    // The batches share the memory they read into: the first one's pages are the second's now.
    assert.throws(() => batch.readPartial(nearEnd, 4), /used after a later batch started/);
    // More pages than the pool holds (64 at first): it grows, and every page read is the task's.
    const many = maps.flatMap((m) => Array.from({ length: Number((m.end - m.start) / 4096n) }, (_, i) => m.start + BigInt(i) * 4096n + 40n));
    assert.ok(many.length > 64, `${many.length} pages`);
    const big = new PageBatch(task);
    big.prefetch(many);
    // (A page the kernel cannot read, [vvar_vclock] on Linux 6.x, reads as nothing either way.)
    for (const a of many) assert.deepEqual(big.readPartial(a, 24), task.readPartial(a, 24));
    assert.ok(many.filter((a) => big.readPartial(a, 24).length === 24).length > 64, 'more than 64 pages read');
    const scatter = task.readScatter([first.start, unmapped, last.start], 8);
    assert.equal(scatter.count, 1, 'the kernel stops at the unmapped range');
    assert.deepEqual(scatter.bytes.subarray(0, 8), task.read(first.start, 8));
    assert.deepEqual(runToSignal(task), { kind: 'exited', code: 44 });
  } finally {
    killTraced(task);
  }
});
