import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK, errnoName, errnoNumber, isRestartErrno, isSyscallError } from './errno.js';
import { R, REG_NAMES, REGS_COUNT, SYSCALL_ARG_REGS, regIndex } from './regs.js';
import { SIG, SIGINFO, SI_KERNEL, SI_TKILL, signalName, signalNumber } from './signals.js';

test('errno names', () => {
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoName(-11), 'EAGAIN');
  assert.equal(errnoName(ERESTARTSYS), 'ERESTARTSYS');
  assert.equal([ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK].join(), '512,513,514,516');
  assert.equal(errnoName(516), 'ERESTART_RESTARTBLOCK');
  assert.equal(errnoName(9999), 'E9999');
  assert.equal(errnoNumber('EWOULDBLOCK'), E.EAGAIN);
  assert.equal(errnoNumber('ENOSYS'), 38);
  assert.equal(isRestartErrno(-514n), true);
  assert.equal(isRestartErrno(-4), false);
  assert.equal(isSyscallError(-1n), true);
  assert.equal(isSyscallError(-4096n), false);
  assert.equal(isSyscallError(0n), false);
});

test('signal names', () => {
  assert.equal(signalName(11), 'SIGSEGV');
  assert.equal(signalName(34), 'SIGRTMIN');
  assert.equal(signalName(36), 'SIGRTMIN+2');
  assert.equal(signalName(63), 'SIGRTMAX-1');
  assert.equal(signalName(64), 'SIGRTMAX');
  assert.equal(signalName(32), 'SIG32');
  assert.equal(signalNumber('SEGV'), SIG.SIGSEGV);
  assert.equal(signalNumber('SIGRTMIN+2'), 36);
  assert.equal(signalNumber('SIGRTMAX-1'), 63);
  assert.equal(signalNumber('SIG33'), 33);
  assert.equal(signalNumber('SIGFOO'), undefined);
  for (let n = 1; n <= 64; n++) assert.equal(signalNumber(signalName(n)), n);
  assert.equal(SIGINFO.size, 128);
  assert.equal(SI_KERNEL, 0x80);
  assert.equal(SI_TKILL, -6);
});

test('register order', () => {
  assert.equal(REGS_COUNT, 27);
  assert.equal(REG_NAMES[R.rax], 'rax');
  assert.equal(REG_NAMES[R.orig_rax], 'orig_rax');
  assert.equal(R.rip, 16);
  assert.deepEqual(SYSCALL_ARG_REGS.map((r) => REG_NAMES[r]), ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9']);
  assert.equal(regIndex('gs'), 26);
  assert.equal(regIndex('xmm0'), undefined);
});
