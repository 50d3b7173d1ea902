// x86-length.ts held to iced-x86, a complete decoder, over every function of real system binaries and
// over hand-picked encodings no binary here may hold: the same length, control flow, branch target,
// rip-relative operand and nop/int3/ud2/syscall for each instruction; and relocated instructions,
// decoded again by iced-x86 at their new address, reach the same targets and memory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { functionRanges } from './elf-code.js';
import { decodeAt, decodeRun, Flow, Kind, relocate, type Insn } from './x86-length.js';

interface IcedInstruction {
  readonly ip: bigint;
  readonly length: number;
  readonly code: number;
  readonly mnemonic: number;
  readonly flowControl: number;
  readonly isJccShortOrNear: boolean;
  readonly isJmpShortOrNear: boolean;
  readonly isCallNear: boolean;
  readonly nearBranchTarget: bigint;
  readonly isIpRelMemoryOperand: boolean;
  readonly ipRelMemoryAddress: bigint;
  readonly conditionCode: number;
  free(): void;
}
interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => { ip: bigint; readonly canDecode: boolean; decode(): IcedInstruction; free(): void };
  Mnemonic: Record<string, number>;
  FlowControl: Record<string, number>;
  Code: Record<string, number>;
}
const x = createRequire(import.meta.url)('iced-x86') as Iced;
const FC = x.FlowControl;
const MN = x.Mnemonic;

/** iced-x86's view in x86-length's terms. */
function expected(i: IcedInstruction): { flow: Flow; kind: Kind; target: bigint | null } {
  const f = i.flowControl;
  const m = i.mnemonic;
  let flow: Flow;
  if (f === FC['Next']) flow = m === MN['Hlt'] ? Flow.Exception : Flow.Next; // hlt faults in user mode
  else if (f === FC['UnconditionalBranch']) flow = Flow.Jump;
  else if (f === FC['IndirectBranch']) flow = Flow.IndirectJump;
  else if (f === FC['ConditionalBranch']) flow = i.isJccShortOrNear ? Flow.Conditional : Flow.Loop;
  else if (f === FC['Return']) flow = Flow.Return;
  else if (f === FC['Call']) flow = Flow.Call;
  else if (f === FC['IndirectCall']) flow = Flow.IndirectCall;
  else if (f === FC['Interrupt']) flow = Flow.Interrupt;
  else if (f === FC['Exception']) flow = m === MN['Syscall'] ? Flow.Special : Flow.Exception;
  else if (f === FC['XbeginXabortXend']) flow = m === MN['Xbegin'] ? Flow.Special : Flow.Next;
  else flow = -1 as Flow;
  if (m === MN['Syscall'] || m === MN['Sysenter']) flow = Flow.Special;
  if (m === MN['Sysretq'] || m === MN['Sysret'] || m === MN['Sysexitq'] || m === MN['Sysexit']) flow = Flow.Return;
  const kind = m === MN['Nop'] ? Kind.Nop : m === MN['Int3'] ? Kind.Int3 : m === MN['Ud2'] ? Kind.Ud2 : m === MN['Syscall'] ? Kind.Syscall : Kind.Other;
  const direct = i.isJccShortOrNear || i.isJmpShortOrNear || i.isCallNear || flow === Flow.Loop || m === MN['Xbegin'];
  return { flow, kind, target: direct ? i.nearBranchTarget : null };
}

/** The first difference between the two decoders on the instruction iced-x86 decoded from `bytes` at `off`, or null. */
function difference(bytes: Uint8Array, off: number, i: IcedInstruction): string | null {
  const at = Number(i.ip);
  const mine = decodeAt(bytes, off, at);
  const hex = Buffer.from(bytes.subarray(off, off + i.length)).toString('hex');
  if (!mine) return `${hex}: not decoded`;
  const want = expected(i);
  if (mine.length !== i.length) return `${hex}: length ${mine.length}, iced-x86 ${i.length}`;
  if (mine.flow !== want.flow) return `${hex}: flow ${mine.flow}, iced-x86 ${want.flow}`;
  if (mine.kind !== want.kind) return `${hex}: kind ${mine.kind}, iced-x86 ${want.kind}`;
  if (want.target !== null && BigInt.asUintN(64, BigInt(mine.target)) !== want.target) return `${hex}: target`;
  if (want.target === null && mine.target !== -1) return `${hex}: a target where iced-x86 has none`;
  if ((mine.ripDisp >= 0) !== i.isIpRelMemoryOperand) return `${hex}: rip-relative ${mine.ripDisp}`;
  if (mine.ripDisp >= 0) {
    const disp = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readInt32LE(off + mine.ripDisp);
    if (BigInt.asUintN(64, BigInt(at + mine.length + disp)) !== i.ipRelMemoryAddress) return `${hex}: displacement offset ${mine.ripDisp}`;
  }
  return null;
}

/** Decodes every function of the file with both; returns the instructions compared and the differences. */
function compareFile(path: string): { count: number; diffs: string[] } {
  const file = readFileSync(path);
  let count = 0;
  const diffs: string[] = [];
  for (const fn of functionRanges(file)) {
    const bytes = file.subarray(fn.start, fn.end);
    const dec = new x.Decoder(64, bytes, 0);
    dec.ip = BigInt(fn.start);
    try {
      while (dec.canDecode) {
        const i = dec.decode();
        try {
          if (i.code === x.Code['INVALID']) break; // data in the function's range: neither decoder goes on
          count++;
          const d = difference(bytes, Number(i.ip) - fn.start, i);
          if (d) {
            diffs.push(`${path}+0x${i.ip.toString(16)} ${d}`);
            break;
          }
        } finally {
          i.free();
        }
      }
    } finally {
      dec.free();
    }
  }
  return { count, diffs };
}

const LIB = '/usr/lib/x86_64-linux-gnu';

test('every instruction of libc, ld.so, libstdc++ and libm decodes as iced-x86 decodes it', () => {
  const files = ['libc.so.6', 'ld-linux-x86-64.so.2', 'libstdc++.so.6', 'libm.so.6'].map((f) => `${LIB}/${f}`).filter((f) => existsSync(f));
  assert.ok(files.some((f) => f.endsWith('libc.so.6')), 'libc is there to decode');
  let total = 0;
  for (const f of files) {
    const { count, diffs } = compareFile(f);
    assert.deepEqual(diffs.slice(0, 5), [], `${f}: differences`);
    total += count;
  }
  assert.ok(total > 300_000, `${total} instructions compared`);
});

test('encodings of every map and immediate kind decode as iced-x86 decodes them', () => {
  const samples = [
    '90', '6690', 'f390', '4990', '0f1f4000', '660f1f840000000000', '66662e0f1f840000000000', 'cc', '0f0b', '0f05', '0fa2', '0f31', '0f01f9',
    '4889e5', '488b0500100000', '8b0d10000000', 'c705f0ffffff01000000', '48c705f0ffffff01000000', '66c705f0ffffff0100', '80fa08', '4881ec00010000', '6681f90001',
    'f6c101', 'f7c100010000', '66f7c10001', 'f6d1', 'f7d8', '48b80102030405060708', '66b80100', 'b801000000', 'a00807060504030201', '67a004030201',
    'c8100001', 'c20800', 'c3', 'cb', 'ca0400', 'cf', 'cd80', 'f1', 'f4', 'e800000000', 'e9fbffffff', 'ebfe', '7405', '0f8400010000', '666648e8c83bffff',
    'e2fe', 'e3fe', 'c7f800000000', 'c6f801', 'ff15f0ffffff', 'ffe0', 'ff24c5f0000000', 'ff25f0ffffff', 'ffd0', 'f2e900000000', '3effe0',
    'c5f877', 'c5fc77', 'c5f96ec6', 'c4e27d58c0', 'c4e3790f c108'.replace(' ', ''), 'c5fd70c01b', 'c5f8c2c100', 'c4e37d18c101',
    '62e27d287ac6', '62f1fd48100500010000', '62f37d4825c101', '62f57c4858c1', '62f67d4898c1',
    '8fe87896c000', '8fe978c1c0', '8fea7810c000010000', '0f0fc1b4', '660f78c00102', 'f20f78c10102', '0f78c1', '660f3a0fc108', '660f3800c1', '0f38f00f',
    'f30fb8c0', '0fb9c0', '0fffc0', 'f30fa6c8', 'f30fa6d0', '0fa7c0', 'f30f1efa', '0fc7f0', '48630d10000000', 'd9ee', 'dd05f0ffffff', '0fae05f0ffffff', '0fbae001',
    '0fa4c104', '0fc2c100', '0f70c01b', '66480f3a16c001', '4c8b4c2408', 'f3480fb8c0', 'f0480fb10e', '64488b042528000000', '65488b0425f8ffffff',
  ];
  for (const hex of samples) {
    const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
    const dec = new x.Decoder(64, bytes, 0);
    dec.ip = 0x400000n;
    const i = dec.decode();
    try {
      assert.notEqual(i.code, x.Code['INVALID'], `${hex} is an instruction`);
      assert.equal(i.length, bytes.length, `${hex} is one whole instruction`);
      assert.equal(difference(bytes, 0, i), null, hex);
    } finally {
      i.free();
      dec.free();
    }
  }
  for (const hex of ['06', '0f04', '0f0a', 'ffff', 'fe10', '62f17d08' /* EVEX fixed bit clear */, '0f0b'.slice(0, 2), '48']) {
    const bytes = new Uint8Array(Buffer.from(hex.slice(0, hex.length), 'hex'));
    if (hex === '62f17d08') bytes[2] = 0x79; // P1 without its fixed bit
    assert.equal(decodeAt(bytes, 0, 0x400000), null, `${hex}: not an instruction, or cut short`);
  }
});

test('relocated instructions reach what they reached from their old place', () => {
  const base = 0x7f0000001000;
  // lea 0x100(%rip),%rax; mov 0x20(%rip),%edx; jne +0x10; jmp -0x20; je rel32 +0x200; add %eax,%ecx; call +0; loop
  const code = new Uint8Array(Buffer.from('488d0500010000' + '8b1520000000' + '7510' + 'ebe0' + '0f8400020000' + '01c1' + 'e800000000' + 'e2fe', 'hex'));
  const insns = decodeRun(code, base, base, base + code.length);
  assert.ok(insns, 'the code decodes');
  const to = 0x7f0040000000;
  const moved: Uint8Array[] = [];
  let at = to;
  for (const i of insns) {
    const r = relocate(code, base, i, at);
    if (i.flow === Flow.Call || i.flow === Flow.Loop) {
      assert.equal(r, null, 'a call or a loop does not move');
      continue;
    }
    assert.ok(r, `0x${i.at.toString(16)} moves`);
    moved.push(r);
    const dec = new x.Decoder(64, r, 0);
    dec.ip = BigInt(at);
    const again = dec.decode();
    const before = new x.Decoder(64, code.subarray(i.at - base), 0);
    before.ip = BigInt(i.at);
    const old = before.decode();
    try {
      assert.equal(again.length, r.length);
      if (old.isIpRelMemoryOperand) assert.equal(again.ipRelMemoryAddress, old.ipRelMemoryAddress, 'the same memory');
      if (old.isJccShortOrNear || old.isJmpShortOrNear) {
        assert.equal(again.nearBranchTarget, old.nearBranchTarget, 'the same target');
        assert.equal(again.flowControl, old.flowControl);
        assert.equal(again.conditionCode, old.conditionCode, 'the same condition');
      }
      if (!old.isIpRelMemoryOperand && !old.isJccShortOrNear && !old.isJmpShortOrNear) assert.deepEqual([...r], [...code.subarray(i.at - base, i.at - base + i.length)], 'other bytes as they were');
    } finally {
      for (const o of [again, old]) o.free();
      dec.free();
      before.free();
    }
    at += r.length;
  }
  assert.equal(moved.length, insns.length - 2);
  const far: Insn = decodeAt(code, 0, base)!;
  assert.equal(relocate(code, base, far, base + 0x90000000), null, 'a displacement out of reach is refused');
});
