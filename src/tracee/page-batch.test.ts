// PageBatch on a real traced program (test/programs/hwwatch.c, stopped at its int3): reads see the
// batch's own writes, the task's memory changes only at flush, a write across a page boundary and into
// read-only code lands whole, and a write into unmapped memory is refused with nothing written. Also
// Task.write into read-only code, small (ptrace words) and large (/proc/PID/mem).
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
