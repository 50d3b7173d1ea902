// The rep string instruction check against encodings gcc and glibc emit (objdump of libc's memcpy/memset).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRepStringInsn, repStringLength } from './x86-insn.js';

test('isRepStringInsn: rep/repe/repne string instructions, with prefixes and REX, and nothing else', () => {
  const yes = [[0xf3, 0xa4], [0xf3, 0x48, 0xab], [0xf3, 0xaa], [0xf2, 0xae], [0xf3, 0xa6], [0x66, 0xf3, 0xa5], [0xf3, 0x64, 0x48, 0xa5]];
  const no = [[0xa4], [0x48, 0xab], [0xf3, 0x0f, 0x1e, 0xfa] /* endbr64 */, [0xf3, 0xc3] /* rep ret */, [0xf3, 0x90] /* pause */, [0x0f, 0x05], []];
  for (const b of yes) assert.equal(isRepStringInsn(new Uint8Array(b)), true, b.map((x) => x.toString(16)).join(' '));
  for (const b of no) assert.equal(isRepStringInsn(new Uint8Array(b)), false, b.map((x) => x.toString(16)).join(' '));
});

test('repStringLength: prefixes, REX and opcode, with what follows not counted; 0 for anything else', () => {
  assert.equal(repStringLength(new Uint8Array([0xf3, 0xa4, 0x48, 0x89])), 2);
  assert.equal(repStringLength(new Uint8Array([0xf3, 0x48, 0xab, 0xc3])), 3);
  assert.equal(repStringLength(new Uint8Array([0xf3, 0x64, 0x48, 0xa5])), 4);
  assert.equal(repStringLength(new Uint8Array([0x66, 0xf3, 0xa5])), 3);
  assert.equal(repStringLength(new Uint8Array([0xf3, 0x90])), 0);
  assert.equal(repStringLength(new Uint8Array([0xa4])), 0);
});
