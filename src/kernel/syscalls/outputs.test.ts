import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E, ERESTART_RESTARTBLOCK } from '../errno.js';
import { FakeMem } from './fake-mem.test-util.js';
import {
  fixed, fixedOnInterrupt, fixedUnlessFailed, inOutLen, iovecResult, resultBytes, resultItems, runsOnError,
  sizeFromArg, sockaddrOut, u32,
} from './outputs.js';
import { fdSetBytes, fdSetsOut, msghdrRegions, pollfdsOut, recvmmsgOut, recvmsgOut, sendmmsgOut } from './outputs-net.js';

const none = new FakeMem();

test('fixed, u32 and sizeFromArg name the pointer argument', () => {
  assert.deepEqual(fixed(1, 144)(none.ctx([3, 0x1000], 0)), [{ addr: 0x1000n, len: 144 }]);
  assert.deepEqual(u32(0)(none.ctx([0x2000], 0)), [{ addr: 0x2000n, len: 4 }]);
  // rt_sigaction-style: 24 + sigsetsize
  assert.deepEqual(sizeFromArg(2, 3, 24)(none.ctx([10, 0, 0x3000, 8], 0)), [{ addr: 0x3000n, len: 32 }]);
});

test('resultBytes uses the result, capped by the size argument', () => {
  assert.deepEqual(resultBytes(1)(none.ctx([0, 0x1000, 100], 42)), [{ addr: 0x1000n, len: 42 }]);
  // recvfrom with MSG_TRUNC: result 500 but only 100 bytes of buffer
  assert.deepEqual(resultBytes(1, 2)(none.ctx([0, 0x1000, 100], 500)), [{ addr: 0x1000n, len: 100 }]);
  // getxattr with size 0 only returns the length
  assert.deepEqual(resultBytes(2, 3)(none.ctx([0, 0, 0x1000, 0], 17)), [{ addr: 0x1000n, len: 0 }]);
  assert.deepEqual(resultItems(1, 12)(none.ctx([5, 0x4000, 64, -1], 3)), [{ addr: 0x4000n, len: 36 }]);
});

test('iovecResult spreads result bytes over the iovecs', () => {
  const m = new FakeMem().iovecs(0x100n, [[0x1000n, 10], [0x2000n, 0], [0x3000n, 20], [0x4000n, 5]]);
  assert.deepEqual(iovecResult(1, 2)(m.ctx([0, 0x100, 4], 25)), [
    { addr: 0x1000n, len: 10 },
    { addr: 0x3000n, len: 15 },
  ]);
  assert.deepEqual(iovecResult(1, 2)(m.ctx([0, 0x100, 4], 0)), []);
  assert.deepEqual(iovecResult(1, 2)(m.ctx([0, 0x100, 4], 100)).length, 3);
});

test('inOutLen reads the u32 length after the call and records it', () => {
  const m = new FakeMem().u32(0x500n, 16);
  assert.deepEqual(inOutLen(3, 4)(m.ctx([3, 1, 2, 0x900, 0x500], 0)), [
    { addr: 0x500n, len: 4 },
    { addr: 0x900n, len: 16 },
  ]);
  // addresses: the kernel stores the full length but writes at most the buffer (≤ sockaddr_storage)
  const big = new FakeMem().u32(0x500n, 4000);
  assert.deepEqual(sockaddrOut(1, 2)(big.ctx([3, 0x900, 0x500], 4)), [
    { addr: 0x500n, len: 4 },
    { addr: 0x900n, len: 128 },
  ]);
  assert.deepEqual(sockaddrOut(1, 2)(none.ctx([3, 0, 0], 4)), []);
});

test('select sizes fd_sets by nfds; poll covers nfds pollfds', () => {
  assert.equal(fdSetBytes(0), 0);
  assert.equal(fdSetBytes(1), 8);
  assert.equal(fdSetBytes(64), 8);
  assert.equal(fdSetBytes(65), 16);
  assert.deepEqual(fdSetsOut()(none.ctx([70, 0x100, 0, 0x300, 0], 1)), [
    { addr: 0x100n, len: 16 },
    { addr: 0n, len: 16 },
    { addr: 0x300n, len: 16 },
  ]);
  assert.deepEqual(pollfdsOut()(none.ctx([0x100, 3, 1000], 1)), [{ addr: 0x100n, len: 24 }]);
});

test('error-time rules: nanosleep remaining time only when interrupted', () => {
  const r = fixedOnInterrupt(1, 16);
  assert.equal(runsOnError(r), true);
  assert.equal(runsOnError(fixed(1, 16)), false);
  assert.deepEqual(r(none.ctx([0x100, 0x200], 0)), []);
  assert.deepEqual(r(none.ctx([0x100, 0x200], -E.EINTR)), [{ addr: 0x200n, len: 16 }]);
  assert.deepEqual(r(none.ctx([0x100, 0x200], -ERESTART_RESTARTBLOCK)), [{ addr: 0x200n, len: 16 }]);
  assert.deepEqual(r(none.ctx([0x100, 0x200], -E.EFAULT)), []);
  const t = fixedUnlessFailed(4, 16);
  assert.deepEqual(t(none.ctx([1, 0, 0, 0, 0x300], 0)), [{ addr: 0x300n, len: 16 }]);
  assert.deepEqual(t(none.ctx([1, 0, 0, 0, 0x300], -E.EBADF)), []);
});

/** Lays out a msghdr at `at` (56 bytes). */
function msghdr(m: FakeMem, at: bigint, h: { name: bigint; namelen: number; iov: bigint; iovlen: number; control: bigint; controllen: number }): void {
  m.u64s(at, [h.name, BigInt(h.namelen), h.iov, BigInt(h.iovlen), h.control, BigInt(h.controllen), 0n]);
}

test('recvmsg records the msghdr, name, control and data', () => {
  const m = new FakeMem().iovecs(0x200n, [[0x1000n, 4], [0x2000n, 100]]);
  msghdr(m, 0x100n, { name: 0x300n, namelen: 16, iov: 0x200n, iovlen: 2, control: 0x400n, controllen: 24 });
  assert.deepEqual(recvmsgOut()(m.ctx([3, 0x100, 0], 10)), [
    { addr: 0x100n, len: 56 },
    { addr: 0x300n, len: 16 },
    { addr: 0x400n, len: 24 },
    { addr: 0x1000n, len: 4 },
    { addr: 0x2000n, len: 6 },
  ]);
  // no name, no control
  const n = new FakeMem().iovecs(0x200n, [[0x1000n, 4]]);
  msghdr(n, 0x100n, { name: 0n, namelen: 0, iov: 0x200n, iovlen: 1, control: 0n, controllen: 0 });
  assert.deepEqual(msghdrRegions(n.ctx([], 0), 0x100n, 3), [{ addr: 0x100n, len: 56 }, { addr: 0x1000n, len: 3 }]);
});

test('recvmmsg records each received message with its msg_len; sendmmsg its msg_len', () => {
  const m = new FakeMem().iovecs(0x800n, [[0x1000n, 50]]).iovecs(0x900n, [[0x2000n, 50]]);
  // two mmsghdrs of 64 bytes at 0x100: msghdr (56) + msg_len + pad
  const vec = new Uint8Array(128);
  const v = new DataView(vec.buffer);
  v.setBigUint64(16, 0x800n, true);
  v.setBigUint64(24, 1n, true);
  v.setUint32(56, 7, true);
  v.setBigUint64(64 + 16, 0x900n, true);
  v.setBigUint64(64 + 24, 1n, true);
  v.setUint32(64 + 56, 9, true);
  m.put(0x100n, vec);
  assert.deepEqual(recvmmsgOut()(m.ctx([3, 0x100, 2, 0, 0], 2)), [
    { addr: 0x100n, len: 64 },
    { addr: 0x100n, len: 56 },
    { addr: 0x1000n, len: 7 },
    { addr: 0x140n, len: 64 },
    { addr: 0x140n, len: 56 },
    { addr: 0x2000n, len: 9 },
  ]);
  assert.deepEqual(sendmmsgOut()(none.ctx([3, 0x100, 5, 0], 2)), [
    { addr: 0x138n, len: 4 },
    { addr: 0x178n, len: 4 },
  ]);
});
