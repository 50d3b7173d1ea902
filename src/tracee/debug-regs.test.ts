// Hardware breakpoints and watchpoints on a real traced program (test/programs/hwwatch.c).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, runToTrap, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import {
  checkHwRange, clearSlot, clearStatus, decodeDr6, readDebugReg, readSlots, readStatus, setSlot,
} from './debug-regs.js';
import { waitStop } from './spawn.js';
import { Task } from './task.js';

const hex = (v: bigint) => `0x${v.toString(16)}`;

test('argument checks: slot, length, alignment, exec length', () => {
  const nobody = new Task(0, 0); // never reached: every check comes before a ptrace call
  assert.throws(() => setSlot(nobody, 4, 0x1000n, 8, 'write'), /slot 4 does not exist/);
  assert.throws(() => setSlot(nobody, -1, 0x1000n, 8, 'write'), /slot -1/);
  assert.throws(() => setSlot(nobody, 0, 0x1004n, 8, 'write'), /not aligned to the 8-byte/);
  assert.throws(() => setSlot(nobody, 0, 0x1001n, 2, 'access'), /not aligned to the 2-byte/);
  assert.throws(() => setSlot(nobody, 0, 0x1000n, 4, 'exec'), /exec breakpoint has length 1/);
  assert.throws(() => setSlot(nobody, 0, 0x1000n, 3 as 1, 'write'), /length 3/);
  assert.doesNotThrow(() => checkHwRange(0x1003n, 1, 'exec'));
  assert.doesNotThrow(() => checkHwRange(0x1006n, 2, 'write'));
  assert.deepEqual(decodeDr6(0xffff4ff5n), { slots: [0, 2], singleStep: true });
  assert.deepEqual(decodeDr6(0xffff0ff0n), { slots: [], singleStep: false });
});

test('write, exec and access slots stop where they should; cleared slots do not', () => {
  const task = startTraced(compileProgram('hwwatch'));
  try {
    runToTrap(task); // the int3 that hands over the addresses
    const r = task.fetchRegs();
    const watched = r[R.rax]!, target = r[R.rbx]!, afterWrite = r[R.rcx]!, afterRead = r[R.rdx]!;
    assert.equal(task.readU64(watched), 1n);

    setSlot(task, 0, watched, 8, 'write');
    setSlot(task, 1, target, 1, 'exec');
    assert.equal(readDebugReg(task, 0), watched);
    assert.deepEqual(readSlots(task).map((s) => [s.slot, s.kind, s.len]), [[0, 'write', 8], [1, 'exec', 1]]);
    clearStatus(task);

    runToTrap(task); // the write
    assert.equal(hex(task.fetchRegs()[R.rip]!), hex(afterWrite), 'stops right after the writing instruction');
    assert.deepEqual(readStatus(task), { slots: [0], singleStep: false });
    assert.equal(task.readU64(watched), 42n, 'the new value is in memory');
    clearStatus(task);

    runToTrap(task); // the call of hw_target
    assert.equal(hex(task.fetchRegs()[R.rip]!), hex(target), 'exec breakpoint stops before the instruction');
    assert.deepEqual(readStatus(task), { slots: [1], singleStep: false });
    clearSlot(task, 0);
    setSlot(task, 2, watched, 8, 'access');
    clearStatus(task);

    runToTrap(task); // the read
    assert.equal(hex(task.fetchRegs()[R.rip]!), hex(afterRead), 'access watchpoint fires on a read');
    assert.deepEqual(readStatus(task), { slots: [2], singleStep: false });
    clearSlot(task, 2);
    clearStatus(task);

    runToTrap(task); // second call of hw_target: the exec slot is still armed (and the first hit resumed)
    assert.equal(hex(task.fetchRegs()[R.rip]!), hex(target));
    assert.deepEqual(readStatus(task).slots, [1]);
    clearSlot(task, 1);
    assert.deepEqual(readSlots(task), []);
    assert.equal(readDebugReg(task, 7) & 0xffn, 0n);

    task.step();
    assert.deepEqual(waitStop(task.tid), { kind: 'signal', signal: 5 });
    assert.equal(readStatus(task).singleStep, true, 'DR6 BS after a single step');

    assert.deepEqual(runToSignal(task), { kind: 'exited', code: 44 }, 'runs to its exit with nothing armed');
  } finally {
    killTraced(task);
  }
});
