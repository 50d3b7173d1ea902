// injectAtStop on a real traced program (test/programs/hwwatch.c): at a seccomp stop (the launcher's
// execve, not skipped) and at a signal-delivery stop whose signal is to be delivered, the injected
// syscall runs and the task is left at the same kind of stop with the same registers, so the program
// goes on as if nothing happened.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, runToTrap, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import { SIG, siginfoCode } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { getSigMask, injectAtStop } from './inject.js';

test('injectAtStop at a syscall entry and at a pending signal leaves the task where it was', () => {
  const task = startTraced(compileProgram('hwwatch')); // at the seccomp stop of its execve
  try {
    const entry = task.fetchRegs().slice();
    assert.equal(Number(entry[R.orig_rax]), SYS.execve);
    const mask = getSigMask(task);
    assert.equal(injectAtStop(task, { kind: 'seccomp' }, SYS.getpid, []), BigInt(task.tgid));
    assert.deepEqual(task.fetchRegs(), entry, 'the same registers at the execve entry');
    assert.deepEqual(getSigMask(task), mask, 'the same signal mask');

    runToTrap(task); // the execve ran: the program reached its int3
    const atTrap = task.fetchRegs().slice();
    const code = siginfoCode(task.siginfo());
    // As if SIGTRAP were to be delivered: injected, then queued again, the task is at its delivery once more.
    assert.equal(injectAtStop(task, { kind: 'signal', signal: SIG.SIGTRAP }, SYS.getpid, [], SIG.SIGTRAP), BigInt(task.tgid));
    assert.deepEqual(task.fetchRegs(), atTrap, 'the same registers at the signal stop');
    assert.equal(siginfoCode(task.siginfo()), code, 'the signal\'s own siginfo');
    assert.deepEqual(getSigMask(task), mask);
    // Not delivered (sig 0): the program runs to its end.
    assert.deepEqual(runToSignal(task), { kind: 'exited', code: 44 });
  } finally {
    killTraced(task);
  }
});
