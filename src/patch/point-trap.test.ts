// Where a preemption point's in-process trap may go: the bytes its jump displaces must be entered only
// at their start, and must reach the point (the instructions before it run in the trampoline, which
// jumps back to the displaced bytes' end). Both cases below broke node's replay (a SIGSEGV before
// the point) before the rules were there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trapRegionOf } from './point-trap.js';

const at = (fn: bigint, bytes: number[], off: number) =>
  trapRegionOf(new Uint8Array(bytes), { start: fn, end: fn + BigInt(bytes.length) }, fn + BigInt(off));

test('a point at a ret: the displaced bytes run up to it, never stop short of it', () => {
  // v8::internal::GetCurrentStackPosition(): push rbp; mov rbp,rsp; mov rax,rbp; pop rbp; ret
  const code = [0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xe8, 0x5d, 0xc3];
  const r = at(0x1000n, code, 8);
  assert.ok(r, 'the instructions before the ret can be displaced');
  assert.equal(r.start + BigInt(r.length), 0x1008n, 'the displaced bytes end at the point');
  assert.ok(r.length >= 5);
});

test('a point after padding (a switch case reached by an indirect jump) is never inside the displaced bytes', () => {
  // jmp back; nopl (%rax); point: mov rdi,r13; call rel32; mov r12,rax; ret
  const code = [0xe9, 0x00, 0xf0, 0xff, 0xff, 0x0f, 0x1f, 0x00, 0x4c, 0x89, 0xef, 0xe8, 0x00, 0x01, 0x00, 0x00, 0x49, 0x89, 0xc4, 0xc3];
  const r = at(0x2000n, code, 8);
  if (r) assert.equal(r.start, 0x2008n, 'only a region that starts at the point itself');
  // The call after it cannot be displaced, and the bytes before are padding: no trap at all.
  assert.equal(r, null);
});

test('a point in straight-line code gets a region holding it', () => {
  // mov rax,rdi; add rax,rsi; imul rax,rdx; ret
  const code = [0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0x48, 0x0f, 0xaf, 0xc2, 0xc3];
  const r = at(0x3000n, code, 3);
  assert.ok(r);
  assert.ok(r.start <= 0x3003n && r.start + BigInt(r.length) >= 0x3003n);
});
