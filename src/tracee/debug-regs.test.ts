// Hardware breakpoints and watchpoints on a real traced program (test/programs/hwwatch.c). Some VMs
// accept debug registers through ptrace and never fire them (build/rewind-probe finds out): there the
// tests check that truth — the probe agrees with a direct check, and an armed program runs through
// its watched write and breakpoint without a trap — instead of the traps themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, runToTrap, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import { probeResults } from './capabilities.js';
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

/**
 * Runs hwwatch to the int3 that hands over its addresses (rax: the watched word, rbx: hw_target, rcx:
 * right after the write, rdx: right after the read) and arms slot 0 on writes to the word and slot 1
 * on hw_target. Returns the registers at the int3.
 */
function armWriteAndExec(task: Task): BigUint64Array {
  runToTrap(task);
  const r = task.fetchRegs().slice();
  setSlot(task, 0, r[R.rax]!, 8, 'write');
  setSlot(task, 1, r[R.rbx]!, 1, 'exec');
  return r;
}

/** Arms a write slot on hwwatch's watched word and an exec slot on hw_target; whether the next stop is the write's trap. */
function directCheck(): { fires: boolean; accepted: boolean } {
  const task = startTraced(compileProgram('hwwatch'));
  try {
    const r = armWriteAndExec(task);
    const accepted = readSlots(task).length === 2;
    const s = runToSignal(task);
    if (s.kind === 'exited') {
      assert.equal(s.code, 44, 'without traps the program runs to its normal end');
      return { fires: false, accepted };
    }
    assert.deepEqual(s, { kind: 'signal', signal: 5 });
    assert.equal(hex(task.fetchRegs()[R.rip]!), hex(r[R.rcx]!), 'a trap that comes is the write watchpoint, after the write');
    return { fires: true, accepted };
  } finally {
    killTraced(task);
  }
}

test('the probe\'s verdict on debug registers is what a direct check on a real program finds', () => {
  const probe = probeResults()['debug-registers'];
  const direct = directCheck();
  assert.equal(direct.accepted, true, 'ptrace accepts the slots (DR7 reads back both)');
  assert.equal(direct.fires, probe.works, `probe: ${probe.works ? 'works' : 'missing'} (${probe.detail}); direct check: ${direct.fires ? 'traps' : 'no trap'}`);
});

const hardwareFires = probeResults()['debug-registers'].works;

test('write, exec and access slots stop where they should; cleared slots do not (where debug registers fire)', () => {
  if (!hardwareFires) {
    // This machine accepts the slots and never fires them: armed with write, exec and access slots the
    // program runs through the write, both calls and the read to its end; the slots are still set.
    const task = startTraced(compileProgram('hwwatch'));
    try {
      const r = armWriteAndExec(task);
      setSlot(task, 2, r[R.rax]!, 8, 'access');
      assert.deepEqual(readSlots(task).map((x) => [x.slot, x.kind]), [[0, 'write'], [1, 'exec'], [2, 'access']]);
      assert.deepEqual(runToSignal(task), { kind: 'exited', code: 44 }, 'no debug-register trap on this machine');
    } finally {
      killTraced(task);
    }
    return;
  }
  const task = startTraced(compileProgram('hwwatch'));
  try {
    const r = armWriteAndExec(task);
    const watched = r[R.rax]!, target = r[R.rbx]!, afterWrite = r[R.rcx]!, afterRead = r[R.rdx]!;
    assert.equal(task.readU64(watched), 1n);
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
