// The windows a cpuid is patched through (cpuid-sites.ts): found in the system's libraries, never
// across a branch target (a jump table's included), and their stubs relocated correctly.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { branchTargets, cpuidStubBytes, cpuidWindow } from './cpuid-sites.js';
import { findSites } from './decoder.js';
import { functionRanges } from './elf-code.js';
import { decodeRun, Flow } from './x86-length.js';

const LIBS = ['/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libgcc_s.so.1']
  .filter((p) => existsSync(p));
const STUB = 0x7fffc0010000n;
const CPUID_ENTRY = 0x7fffc00000a5n;
const LOAD = 0x7ffff7fc0000n;

test('the loader\'s cpuid sites have windows, each holding its cpuid and no branch target past its start', () => {
  assert.ok(LIBS.includes('/lib64/ld-linux-x86-64.so.2'), 'this machine has /lib64/ld-linux-x86-64.so.2');
  let windows = 0;
  for (const path of LIBS) {
    const file = new Uint8Array(readFileSync(path));
    const ranges = functionRanges(file);
    for (const s of findSites(file, ranges)) {
      if (!s.window) continue;
      windows++;
      const w = s.window;
      assert.ok(w.start <= s.offset && s.offset + 2 <= w.start + w.length && w.length >= 5, `${path}: ${JSON.stringify(s)}`);
      const fn = ranges.find((r) => r.start <= w.start && w.start + w.length <= r.end && decodeRun(file, 0, r.start, r.end));
      assert.ok(fn, `${path}: no function decodes whole around 0x${s.offset.toString(16)}`);
      const all = decodeRun(file, 0, fn.start, fn.end)!;
      for (const i of all) if (i.target > w.start && i.target < w.start + w.length) assert.fail(`${path}: a branch at 0x${i.at.toString(16)} lands inside the window at 0x${w.start.toString(16)}`);
      // Its stub, placed where the stub area is, reaches the buffer's CPUID and comes back after the window.
      const at = LOAD + BigInt(w.start);
      const stub = cpuidStubBytes(at, file.subarray(w.start, w.start + w.length), STUB, CPUID_ENTRY);
      assert.ok(stub, `${path}: no stub for the window at 0x${w.start.toString(16)}`);
      const code = decodeRun(stub, Number(STUB), Number(STUB), Number(STUB) + stub.length);
      assert.ok(code, `${path}: the stub for 0x${w.start.toString(16)} does not decode`);
      const calls = code.filter((i) => i.flow === Flow.Call);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.target, Number(CPUID_ENTRY));
      assert.equal(code[code.length - 1]!.flow, Flow.Jump);
      assert.equal(code[code.length - 1]!.target, Number(at) + w.length);
    }
  }
  assert.ok(windows >= 20, `only ${windows} windows in ${LIBS.join(', ')}`);
});

/**
 * A minimal ELF64 file loaded at address 0 (one executable segment over the whole file) holding `code`
 * at 0x100: enough for branchTargets to map addresses to file offsets.
 */
function elfWith(code: number[]): Uint8Array {
  const file = new Uint8Array(0x100 + code.length);
  const dv = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 3, true); // ET_DYN
  dv.setUint16(18, 62, true); // x86-64
  dv.setBigUint64(32, 64n, true); // e_phoff
  dv.setUint16(52, 64, true); // e_ehsize
  dv.setUint16(54, 56, true); // e_phentsize
  dv.setUint16(56, 1, true); // e_phnum
  dv.setUint32(64, 1, true); // PT_LOAD
  dv.setUint32(68, 5, true); // R+X
  dv.setBigUint64(64 + 32, BigInt(file.length), true); // p_filesz
  dv.setBigUint64(64 + 40, BigInt(file.length), true); // p_memsz
  file.set(code, 0x100);
  return file;
}

/** The made-up code below holds no rdtsc or other cpuid. */
const NO_SITE = (): boolean => false;

const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

test('a jump table\'s entry right after a cpuid keeps the window off it', () => {
  // 0x100 lea table(%rip),%rdx; movslq (%rdx,%rax,4),%rax; add %rdx,%rax; jmp *%rax
  // 0x110 L1: xor %ecx,%ecx   0x112 cpuid   0x114 L2: mov %eax,%esi; mov %ebx,%edi; ret
  // 0x11c table: .long L1-table, L2-table
  const code = [0x48, 0x8d, 0x15, ...le32(0x11c - 0x107), 0x48, 0x63, 0x04, 0x82, 0x48, 0x01, 0xd0, 0xff, 0xe0,
    0x31, 0xc9, 0x0f, 0xa2, 0x89, 0xc6, 0x89, 0xdf, 0xc3, 0x90, 0x90, 0x90];
  const file = elfWith([...code, ...le32(0x110 - 0x11c), ...le32(0x114 - 0x11c)]);
  const fn = { start: 0x100, end: 0x119 };
  const all = decodeRun(file, 0, fn.start, fn.end)!;
  assert.ok(all, 'the function decodes');
  const k = all.findIndex((i) => i.at === 0x112);
  const targets = branchTargets(file, fn, all);
  assert.deepEqual([...targets].sort(), [0x110, 0x114]);
  assert.equal(cpuidWindow(file, all, k, targets, NO_SITE), null);
  // Had the table not been read, the window would have taken L2's first instruction.
  assert.deepEqual(cpuidWindow(file, all, k, new Set(), NO_SITE), { start: 0x112, length: 6 });
});

test('an absolute jump table (jmp *table(,%rax,8)) is read too', () => {
  // 0x100 jmp *0x118(,%rax,8)   0x107 L1: mov $1,%eax   0x10c cpuid   0x10e L2: mov %eax,%esi; mov %ebx,%edi; ret
  // 0x113..0x118 padding; 0x118 table: .quad L1, L2
  const code = [0xff, 0x24, 0xc5, ...le32(0x118), 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0x89, 0xc6, 0x89, 0xdf, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x90];
  const file = elfWith([...code, ...le32(0x107), 0, 0, 0, 0, ...le32(0x10e), 0, 0, 0, 0]);
  const fn = { start: 0x100, end: 0x113 };
  const all = decodeRun(file, 0, fn.start, fn.end)!;
  assert.ok(all, 'the function decodes');
  const targets = branchTargets(file, fn, all);
  assert.deepEqual([...targets].sort(), [0x107, 0x10e]);
  const k = all.findIndex((i) => i.at === 0x10c);
  assert.deepEqual(cpuidWindow(file, all, k, targets, NO_SITE), { start: 0x107, length: 7 });
});

test('a cpuid between two branch targets, or among instructions that cannot move, has no window', () => {
  // 0x100 jne 0x104; nop; nop   0x104 cpuid   0x106 call 0x106+0 (a call cannot move); ret
  const file = elfWith([0x75, 0x02, 0x90, 0x90, 0x0f, 0xa2, 0xe8, 0, 0, 0, 0, 0xc3]);
  const fn = { start: 0x100, end: 0x10c };
  const all = decodeRun(file, 0, fn.start, fn.end)!;
  const k = all.findIndex((i) => i.at === 0x104);
  assert.equal(cpuidWindow(file, all, k, branchTargets(file, fn, all), NO_SITE), null);
});

test('a stub runs the displaced instructions around the call, rip-relative operands moved', () => {
  // At 0x7ffff7e00000: mov 0x100(%rip),%esi (8b 35 disp32: reads 0x7ffff7e00106 + 0x100); cpuid.
  const at = 0x7ffff7e00000n;
  const original = Uint8Array.from([0x8b, 0x35, ...le32(0x100), 0x0f, 0xa2]);
  const stub = cpuidStubBytes(at, original, STUB, CPUID_ENTRY)!;
  assert.ok(stub);
  const code = decodeRun(stub, Number(STUB), Number(STUB), Number(STUB) + stub.length)!;
  assert.ok(code);
  const load = code[0]!;
  assert.ok(load.ripDisp >= 0);
  const disp = new DataView(stub.buffer, stub.byteOffset).getInt32(load.ripDisp, true);
  assert.equal(load.at + load.length + disp, Number(at) + 6 + 0x100, 'the load reads what it read in place');
  assert.equal(code.find((i) => i.flow === Flow.Call)?.target, Number(CPUID_ENTRY));
  assert.equal(code[code.length - 1]!.target, Number(at) + original.length);
  assert.equal(cpuidStubBytes(at, Uint8Array.from([0x90, 0x90, 0x90, 0x90, 0x90]), STUB, CPUID_ENTRY), null, 'no cpuid: no stub');
});
