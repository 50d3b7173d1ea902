import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { R, REGS_COUNT } from '../../kernel/regs.js';
import { PatchedCode } from '../../patch/code-patcher.js';
import { TrappedInsn } from '../../trace/events.js';
import { syscallbufBlob } from '../../syscallbuf/blob.js';
import { STUBS } from '../../syscallbuf/layout.js';
import { atPatchedSite } from './syscallbuf-frame.js';

// Two sites: `mov $202,%eax; syscall` (stub at STUBS) and `mov $7,%eax; syscall` (the next stub).
const futexSite = { addr: 0x7ffff7e5a000n, insn: TrappedInsn.Syscall, stub: STUBS, original: new Uint8Array([0xb8, 0xca, 0, 0, 0, 0x0f, 0x05]) };
const pollSite = { addr: 0x7ffff7e5b000n, insn: TrappedInsn.Syscall, stub: STUBS + 0x20n, original: new Uint8Array([0xb8, 7, 0, 0, 0, 0x0f, 0x05]) };
const code = PatchedCode.empty.with([futexSite, pollSite]);

function regsAt(rip: bigint, rsp: bigint): BigUint64Array {
  const r = new BigUint64Array(REGS_COUNT);
  r[R.rip] = rip;
  r[R.rsp] = rsp;
  r[R.rbx] = 42n;
  return r;
}
const stack = (ret: bigint) => (addr: bigint): Uint8Array => {
  assert.equal(addr, 0x7fffffffd000n);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, ret, true);
  return b;
};

test('a thread at the buffer\'s traced syscall is shown after its site\'s syscall, with the wrapper\'s stack pointer', () => {
  const ret = pollSite.stub + 5n + 5n + 5n; // lea, mov $7,%eax, call
  const shown = atPatchedSite(regsAt(syscallbufBlob().tracedIp, 0x7fffffffd000n), code, stack(ret));
  assert.equal(shown[R.rip], pollSite.addr + 7n);
  assert.equal(shown[R.rsp], 0x7fffffffd000n + 8n + 0x80n);
  assert.equal(shown[R.rbx], 42n);
});

test('anywhere else, or called from outside a stub, the registers are the thread\'s', () => {
  const regs = regsAt(0x555555555000n, 0x7fffffffd000n);
  assert.equal(atPatchedSite(regs, code, stack(0n)), regs);
  const fromVdso = regsAt(syscallbufBlob().tracedIp, 0x7fffffffd000n);
  assert.equal(atPatchedSite(fromVdso, code, stack(0x7ffff7fc1234n)), fromVdso);
  assert.equal(atPatchedSite(fromVdso, code, stack(STUBS + 3n)), fromVdso, 'not after a call in the stub');
});

test('a thread in a call glibc\'s syscall(3) made is shown after that function\'s syscall', () => {
  // `mov 0x8(%rsp),%r9; syscall`: its stub's checks of the number come before the call (TRACE_FORMAT.md):
  // 5 bytes of the move, 7 of the check for 512 and up, 5 each for 15, 56–60, 7 each for 231, 322, 435, 5 of lea.
  const anySite = { addr: 0x7ffff7e5c000n, insn: TrappedInsn.Syscall, stub: STUBS + 0x40n, original: new Uint8Array([0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x0f, 0x05]) };
  const withAny = PatchedCode.empty.with([futexSite, pollSite, anySite]);
  const ret = anySite.stub + 5n + 7n + 6n * 5n + 3n * 7n + 5n + 5n;
  const shown = atPatchedSite(regsAt(syscallbufBlob().tracedIp, 0x7fffffffd000n), withAny, stack(ret));
  assert.equal(shown[R.rip], anySite.addr + 7n);
  assert.equal(shown[R.rsp], 0x7fffffffd000n + 8n + 0x80n);
  const elsewhere = regsAt(syscallbufBlob().tracedIp, 0x7fffffffd000n);
  assert.equal(atPatchedSite(elsewhere, withAny, stack(ret - 5n)), elsewhere, 'not the call\'s return address');
});
