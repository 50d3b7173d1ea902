import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMem } from './fake-mem.test-util.js';
import { archPrctlOut, capgetOut, fcntlOut, getgroupsOut, nameToHandleOut, prctlOut, semctlOut } from './outputs-cmd.js';
import { ioc, ioctlOut, ioctlRegions } from './outputs-ioctl.js';

const none = new FakeMem();
const noRead = (): never => {
  throw new Error('no read expected');
};

test('ioctl: legacy tty requests by table', () => {
  assert.deepEqual(ioctlRegions(0x5401, 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 36 }]); // TCGETS
  assert.deepEqual(ioctlRegions(0x5402, 0x1000n, noRead, noRead), []); // TCSETS
  assert.deepEqual(ioctlRegions(0x5413, 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 8 }]); // TIOCGWINSZ
  assert.deepEqual(ioctlRegions(0x540f, 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 4 }]); // TIOCGPGRP
  assert.deepEqual(ioctlRegions(0x541b, 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 4 }]); // FIONREAD
  assert.deepEqual(ioctlRegions(0x5421, 0x1000n, noRead, noRead), []); // FIONBIO
});

test('ioctl: _IOC-encoded requests say their own direction and size', () => {
  assert.deepEqual(ioctlRegions(ioc(2, 0x54, 0x2a, 44), 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 44 }]); // TCGETS2
  assert.deepEqual(ioctlRegions(ioc(3, 0x66, 1, 8), 0x1000n, noRead, noRead), [{ addr: 0x1000n, len: 8 }]); // _IOWR
  assert.deepEqual(ioctlRegions(ioc(1, 0x54, 0x31, 4), 0x1000n, noRead, noRead), []); // TIOCSPTLCK (_IOW)
});

test('ioctl: unknown legacy request throws naming it in hex', () => {
  assert.throws(() => ioctlRegions(0x5432, 0x1000n, noRead, noRead), /unsupported ioctl request 0x5432/);
  // the rule reads the request as an unsigned int
  assert.throws(() => ioctlOut()(none.ctx([1, 0xffffffff00005432n, 0x1000], 0)), /0x5432\b/);
});

test('ioctl: SIOCGIFCONF records ifc_len bytes of the buffer', () => {
  const m = new FakeMem().u64s(0x100n, [80, 0x2000]);
  assert.deepEqual(ioctlOut()(m.ctx([3, 0x8912, 0x100], 0)), [
    { addr: 0x100n, len: 16 },
    { addr: 0x2000n, len: 80 },
  ]);
});

test('fcntl by command', () => {
  assert.deepEqual(fcntlOut()(none.ctx([3, 5, 0x100], 0)), [{ addr: 0x100n, len: 32 }]); // F_GETLK
  assert.deepEqual(fcntlOut()(none.ctx([3, 3, 0], 2)), []); // F_GETFL
  assert.deepEqual(fcntlOut()(none.ctx([3, 16, 0x100], 0)), [{ addr: 0x100n, len: 8 }]); // F_GETOWN_EX
  assert.throws(() => fcntlOut()(none.ctx([3, 999, 0x100], 0)), /unsupported fcntl command 0x3e7/);
});

test('prctl by option', () => {
  assert.deepEqual(prctlOut()(none.ctx([16, 0x100], 0)), [{ addr: 0x100n, len: 16 }]); // PR_GET_NAME
  assert.deepEqual(prctlOut()(none.ctx([15, 0x100], 0)), []); // PR_SET_NAME
  assert.deepEqual(prctlOut()(none.ctx([2, 0x100], 0)), [{ addr: 0x100n, len: 4 }]); // PR_GET_PDEATHSIG
  assert.throws(() => prctlOut()(none.ctx([26, 2], 0)), /PR_SET_TSC/);
  assert.throws(() => prctlOut()(none.ctx([0x7777, 0], 0)), /unsupported prctl option 0x7777/);
});

test('arch_prctl getters and ARCH_SET_CPUID', () => {
  assert.deepEqual(archPrctlOut()(none.ctx([0x1003, 0x100], 0)), [{ addr: 0x100n, len: 8 }]);
  assert.deepEqual(archPrctlOut()(none.ctx([0x1002, 0x7000], 0)), []);
  assert.throws(() => archPrctlOut()(none.ctx([0x1012, 0], 0)), /ARCH_SET_CPUID/);
});

test('capget sizes data by the header version', () => {
  const v1 = new FakeMem().u32(0x100n, 0x19980330);
  assert.deepEqual(capgetOut()(v1.ctx([0x100, 0x200], 0)), [{ addr: 0x200n, len: 12 }]);
  const v3 = new FakeMem().u32(0x100n, 0x20080522);
  assert.deepEqual(capgetOut()(v3.ctx([0x100, 0x200], 0)), [{ addr: 0x200n, len: 24 }]);
});

test('semctl, getgroups, name_to_handle_at', () => {
  assert.deepEqual(semctlOut()(none.ctx([1, 0, 2 | 0x100, 0x100], 0)), [{ addr: 0x100n, len: 104 }]); // IPC_STAT|IPC_64
  assert.throws(() => semctlOut()(none.ctx([1, 0, 13, 0x100], 0)), /GETALL/);
  assert.deepEqual(getgroupsOut()(none.ctx([0, 0x100], 5)), []);
  assert.deepEqual(getgroupsOut()(none.ctx([32, 0x100], 5)), [{ addr: 0x100n, len: 20 }]);
  const m = new FakeMem().u32(0x100n, 12);
  assert.deepEqual(nameToHandleOut()(m.ctx([-100, 0x50, 0x100, 0x200, 0], 0)), [
    { addr: 0x200n, len: 4 },
    { addr: 0x100n, len: 20 },
  ]);
});
