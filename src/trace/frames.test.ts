import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from './buffer.js';
import { TraceError } from './errors.js';
import {
  type PatchEvent,
  type PreemptEvent,
  type ExecEvent,
  type ExecImage,
  ImageKind,
  type FileRef,
  type InsnEvent,
  type Regs,
  type SignalEvent,
  type SyscallEvent,
  type TraceEvent,
  SignalPlacement,
  SyscallMode,
  TrappedInsn,
} from './events.js';
import { decodeChunk, encodeEvent, REG_COUNT, RegsHistory } from './frames.js';

// user_regs_struct indexes used below.
const RAX = 10;
const RDX = 12;
const RSI = 13;
const RDI = 14;
const ORIG_RAX = 15;
const RIP = 16;
const EFLAGS = 18;
const RSP = 19;
const FS_BASE = 21;

function regs(set: Record<number, bigint>): Regs {
  const r = new BigUint64Array(REG_COUNT);
  for (const [i, v] of Object.entries(set)) r[Number(i)] = v;
  return r;
}

function encodeAll(events: TraceEvent[]): Uint8Array {
  const w = new ByteWriter();
  const h = new RegsHistory();
  for (const ev of events) encodeEvent(w, h, ev);
  return w.bytes().slice();
}

const libc: FileRef = {
  path: '/usr/lib/x86_64-linux-gnu/libc.so.6',
  copy: 'libc.so.6-2049-1234567',
  dev: 2049n,
  ino: 1234567n,
  size: 2_125_328n,
  mtimeNs: 1_700_000_000_123_456_789n,
};

const POINT = {
  ranges: [{ addr: 0x7ffd_1234_4000n, len: 512 }, { addr: 0x5555_5555_8000n, len: 8192 }],
  hash: 0xfedc_ba98_7654_3210n,
};

function sampleEvents(): TraceEvent[] {
  const exec: ExecEvent = {
    kind: 'exec',
    tid: 4242,
    path: '/usr/bin/cat',
    argv: ['cat', '-n', 'fïle with spaces', ''],
    envp: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'EMPTY='],
    exe: { path: '/usr/bin/cat', copy: 'cat-2049-42', dev: 2049n, ino: 42n, size: 35_280n, mtimeNs: -5n },
    interp: { ...libc, path: '/lib64/ld-linux-x86-64.so.2', copy: 'ld.so' },
    stackAddr: 0x7ffd_1234_5000n,
    stack: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff),
    regs: regs({ [RIP]: 0x7f12_3456_7890n, [RSP]: 0x7ffd_1234_5000n, [EFLAGS]: 0x200n, 17: 0x33n, 20: 0x2bn }),
    newTid: 4242,
  };
  const read: SyscallEvent = {
    kind: 'syscall',
    tid: 4242,
    nr: 0,
    mode: SyscallMode.Emulated,
    regs: regs({ [ORIG_RAX]: 0n, [RAX]: 0xffffffffffffffdan, [RDI]: 3n, [RSI]: 0x5555_0000_1000n, [RDX]: 65536n, [RIP]: 0x7f12_3456_9999n }),
    result: 65536n,
    writes: [{ addr: 0x5555_0000_1000n, data: Uint8Array.from({ length: 65536 }, (_, i) => (i * 31 + 5) & 0xff) }],
    file: null,
    echo: 0,
  };
  const failed: SyscallEvent = {
    kind: 'syscall',
    tid: 4243,
    nr: 2,
    mode: SyscallMode.Emulated,
    regs: regs({ [ORIG_RAX]: 2n, [RDI]: 0xffffffffffffffffn, [FS_BASE]: 0xffffffffffffffffn }),
    result: -2n, // -ENOENT
    writes: [],
    file: null,
    echo: 0,
  };
  const mmap: SyscallEvent = {
    kind: 'syscall',
    tid: 4242,
    nr: 9,
    mode: SyscallMode.Executed,
    regs: regs({ [ORIG_RAX]: 9n, [RIP]: 0x7f12_3456_9999n }), // rip unchanged since the last regs of 4242
    result: 0x7f00_0000_0000n,
    writes: [
      { addr: 0n, data: new Uint8Array(0) },
      { addr: 0xffffffffffffffffn, data: new Uint8Array([0xff]) },
    ],
    file: libc,
    echo: 0,
  };
  const write: SyscallEvent = {
    kind: 'syscall',
    tid: 4243,
    nr: 1,
    mode: SyscallMode.Emulated,
    regs: regs({ [ORIG_RAX]: 1n, [RDI]: 1n }),
    result: 6n,
    writes: [],
    file: null,
    echo: 1,
  };
  const weird: SyscallEvent = {
    kind: 'syscall',
    tid: 1,
    nr: -1, // syscall(-1)
    mode: SyscallMode.Emulated,
    regs: regs({ [ORIG_RAX]: 0xffffffffffffffffn }),
    result: -(1n << 63n),
    writes: [],
    file: null,
    echo: 2,
  };
  const signal: SignalEvent = {
    kind: 'signal',
    tid: 4243,
    signo: 11,
    placement: SignalPlacement.Fault,
    siginfo: Uint8Array.from({ length: 128 }, (_, i) => i),
    regs: regs({ [RIP]: 0x401234n, [RAX]: 0n }),
  };
  const signal2: SignalEvent = {
    kind: 'signal',
    tid: 4242,
    signo: 64,
    placement: SignalPlacement.SyscallEntry,
    siginfo: new Uint8Array(128),
    regs: regs({}),
  };
  const rdtsc: InsnEvent = { kind: 'insn', tid: 4242, insn: TrappedInsn.Rdtsc, regs: regs({ [RIP]: 0x401000n }), out: [0x1234n, 0x5678n] };
  const rdtscp: InsnEvent = {
    kind: 'insn',
    tid: 4242,
    insn: TrappedInsn.Rdtscp,
    regs: regs({ [RIP]: 0x401002n }),
    out: [0xffffffffn, 0n, 3n],
  };
  const cpuid: InsnEvent = {
    kind: 'insn',
    tid: 4243,
    insn: TrappedInsn.Cpuid,
    regs: regs({ [RAX]: 1n }),
    out: [0x000906ean, 0x0010_0800n, 0x7ffafbbfn, 0xbfebfbffn],
  };
  const noOut: InsnEvent = { kind: 'insn', tid: 7, insn: TrappedInsn.Cpuid, regs: regs({}), out: [] };
  return [
    exec,
    read,
    failed,
    mmap,
    rdtsc,
    write,
    signal,
    rdtscp,
    cpuid,
    signal2,
    weird,
    noOut,
    { kind: 'exit', tid: 4243, code: 0, signal: null },
    { kind: 'exit', tid: 4242, code: null, signal: 9 },
    { kind: 'exit', tid: 1, code: 255, signal: null },
    { kind: 'exit', tid: 2, code: -1, signal: 6 },
    { kind: 'exit', tid: 3, code: null, signal: null },
    { kind: 'enter', tid: 4242, regs: regs({ [ORIG_RAX]: 202n, [RIP]: 0x7ffff7e0c059n }) },
    { kind: 'newtask', tid: 4242, child: 4250, nr: 56, regs: regs({ [RDI]: 0x3d0f00n, [RSI]: 0x7ffff75fff00n }) },
    { kind: 'newtask', tid: 4250, child: 4251, nr: 58, regs: regs({}) },
    { kind: 'preempt', tid: 4251, regs: regs({ [RIP]: 0x401234n, [RAX]: 0xffffffffffffffffn, [ORIG_RAX]: 0xffffffffffffffffn }) },
    { kind: 'preempt', tid: 4251, regs: regs({ [RIP]: 0x401234n }), point: POINT },
    { kind: 'preempt', tid: 4251, regs: regs({ [RIP]: 0x401238n }), point: { ...POINT, blocks: [0x1111n, 0xffff_ffff_ffff_ffffn, 0n] } },
    { ...signal, placement: SignalPlacement.Instruction },
    { ...signal, placement: SignalPlacement.Instruction, point: { ranges: [], hash: 0n } },
    { ...exec, tid: 4251, newTid: 4242 },
    { kind: 'patch', tid: 4242, sites: [{ addr: 0x7ffff7fde4f8n, insn: TrappedInsn.Cpuid }, { addr: 0x401000n, insn: TrappedInsn.Rdtscp }, { addr: 0xffffffffffff0000n, insn: TrappedInsn.Rdtsc }] },
    { kind: 'patch', tid: 1, sites: [] },
    // Version 4: a shared mapping of a file opened for writing, and changes to a file mapped shared.
    { ...read, nr: 9, mode: SyscallMode.Executed, writes: [], file: { ...libc, path: '/tmp/shared' }, fileWritable: true },
    { ...read, nr: 18, writes: [], fileChange: { dev: 2049n, ino: 77n, offset: 4096n, data: Uint8Array.from([1, 2, 3]), size: 16384n } },
    { ...read, nr: 77, writes: [], dataHash: 0x1234n, fileChange: { dev: 1n, ino: 2n, offset: 0n, data: new Uint8Array(0), size: 0n } },
    // Version 5: syscall sites sent to the syscall buffer, and its records.
    { kind: 'patch', tid: 4242, sites: [{ addr: 0x7ffff7eaa4e0n, insn: TrappedInsn.Syscall, stub: 0x7fffc0010000n, original: Uint8Array.from([0xb8, 0x27, 0, 0, 0, 0x0f, 0x05]) }, { addr: 0x401000n, insn: TrappedInsn.Rdtsc }] },
    { kind: 'buffered', tid: 4242, count: 1, records: new Uint8Array(72).fill(7) },
    // Version 12: a cpuid site sent to the in-process CPUID.
    { kind: 'patch', tid: 4242, sites: [{ addr: 0x7ffff7fde4f8n, insn: TrappedInsn.CpuidCall, stub: 0x7fffc0010040n, original: Uint8Array.from([0x0f, 0xa2, 0x41, 0x89, 0xc6]) }] },
  ];
}

test('every event kind round-trips, tids interleaved', () => {
  const events = sampleEvents();
  const decoded = decodeChunk(encodeAll(events));
  assert.deepEqual(decoded, events);
});

test('cpuid sites sent to the in-process CPUID decode from version 12 on; an older trace holding one is corrupt', () => {
  const ev: PatchEvent = { kind: 'patch', tid: 7, sites: [{ addr: 0x7ffff7fde4f8n, insn: TrappedInsn.CpuidCall, stub: 0x7fffc0010040n, original: Uint8Array.from([0x0f, 0xa2, 0x89, 0xc6, 0x90]) }] };
  const bytes = encodeAll([ev]);
  assert.deepEqual(decodeChunk(bytes, 12), [ev]);
  assert.throws(() => decodeChunk(bytes, 11), TraceError);
  assert.throws(() => encodeAll([{ kind: 'patch', tid: 7, sites: [{ addr: 1n, insn: TrappedInsn.CpuidCall }] }]), TraceError, 'a stub site without its stub');
});

test('block hashes (point identity 2) decode from version 11 on; an older trace holding one is corrupt', () => {
  const ev: PreemptEvent = { kind: 'preempt', tid: 9, regs: regs({ [RIP]: 0x401234n }), point: { ...POINT, blocks: [1n, 2n, 3n] } };
  const bytes = encodeAll([ev]);
  assert.deepEqual(decodeChunk(bytes, 11), [ev]);
  assert.throws(() => decodeChunk(bytes, 10), TraceError);
  const plain: PreemptEvent = { kind: 'preempt', tid: 9, regs: regs({ [RIP]: 0x401234n }), point: POINT };
  assert.deepEqual(decodeChunk(encodeAll([plain]), 10), [plain], 'identity 1 still decodes in a version 10 trace');
});

test('version 1 frames (no point identity, no newTid) still decode', () => {
  const r = regs({ [RIP]: 0x401234n });
  const v2 = encodeAll([{ kind: 'preempt', tid: 9, regs: r }]);
  // A version 2 preempt frame is the version 1 frame plus the identity byte 0 (registers only).
  assert.equal(v2[v2.length - 1], 0);
  assert.deepEqual(decodeChunk(v2.subarray(0, v2.length - 1), 1), [{ kind: 'preempt', tid: 9, regs: r }]);
  const sig: SignalEvent = { kind: 'signal', tid: 9, signo: 14, placement: SignalPlacement.Instruction, siginfo: new Uint8Array(128), regs: r };
  const s2 = encodeAll([sig]);
  assert.deepEqual(decodeChunk(s2.subarray(0, s2.length - 1), 1), [sig]);
  const exec = sampleEvents()[0] as ExecEvent;
  const e2 = encodeAll([exec]);
  // varint 4242 is 2 bytes, then version 5's image flag (0: none)
  assert.deepEqual(decodeChunk(e2.subarray(0, e2.length - 3), 1), [exec]);
});

test('an exec\'s image (version 5) round-trips; a version 4 exec frame has none', () => {
  const exec = sampleEvents()[0] as ExecEvent;
  const image: ExecImage = {
    mappings: [
      { start: 0x5555_5555_4000n, end: 0x5555_5555_6000n, prot: 5, kind: ImageKind.File, file: exec.exe, offset: 0x1000n, name: '/usr/bin/cat', pieces: [] },
      { start: 0x5555_5555_6000n, end: 0x5555_5555_7000n, prot: 3, kind: ImageKind.Anon, file: null, offset: 0n, name: '[heap]', pieces: [{ addr: 0x5555_5555_6ff0n, data: new Uint8Array(16).fill(7) }] },
      { start: 0x7fff_f7fc_2000n, end: 0x7fff_f7fc_4000n, prot: 5, kind: ImageKind.Vdso, file: null, offset: 0n, name: '[vdso]', pieces: [{ addr: 0x7fff_f7fc_2000n, data: new Uint8Array(8192).fill(1) }] },
      { start: 0x7fff_fffd_e000n, end: 0x7fff_ffff_f000n, prot: 3, kind: ImageKind.Stack, file: null, offset: 0n, name: '[stack]', pieces: [] },
    ],
    layout: {
      startCode: 1n, endCode: 2n, startData: 3n, endData: 4n, startBrk: 5n, brk: 6n, startStack: 7n, argStart: 8n, argEnd: 9n, envStart: 10n, envEnd: 11n,
    },
    auxv: Uint8Array.from({ length: 64 }, (_, i) => i),
  };
  const withImage = { ...exec, image };
  assert.deepEqual(decodeChunk(encodeAll([withImage])), [withImage]);
  const plain = encodeAll([exec]);
  assert.equal(plain[plain.length - 1], 0, 'no image: flag 0');
  assert.deepEqual(decodeChunk(plain.subarray(0, plain.length - 1), 4), [exec]);
  assert.throws(() => decodeChunk(Uint8Array.from([...plain.subarray(0, plain.length - 1), 2])), /image flag 2/);
});

test('round-trip of a long run of changing registers for several tids', () => {
  const events: TraceEvent[] = [];
  let seed = 12345n;
  const next = (): bigint => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return seed;
  };
  for (let i = 0; i < 500; i++) {
    const r = new BigUint64Array(REG_COUNT);
    // Most registers random, a few kept equal to zero / max so some bits repeat.
    for (let j = 0; j < REG_COUNT; j++) r[j] = j % 5 === 0 ? 0xffffffffffffffffn : next() % (i % 3 === 0 ? 4n : 1n << 64n);
    events.push({ kind: 'insn', tid: 100 + (i % 4), insn: TrappedInsn.Rdtsc, regs: r, out: [next(), next()] });
  }
  assert.deepEqual(decodeChunk(encodeAll(events)), events);
});

test('the encoder copies registers: mutating the caller array after encoding is harmless', () => {
  const r = regs({ [RIP]: 1n });
  const w = new ByteWriter();
  const h = new RegsHistory();
  encodeEvent(w, h, { kind: 'insn', tid: 1, insn: TrappedInsn.Rdtsc, regs: r, out: [] });
  r[RIP] = 2n;
  encodeEvent(w, h, { kind: 'insn', tid: 1, insn: TrappedInsn.Rdtsc, regs: r, out: [] });
  const [a, b] = decodeChunk(w.bytes()) as InsnEvent[];
  assert.equal(a!.regs[RIP], 1n);
  assert.equal(b!.regs[RIP], 2n);
  // Decoded events do not share register arrays.
  a!.regs[0] = 99n;
  assert.equal(b!.regs[0], 0n);
});

test('exit frames, byte for byte', () => {
  assert.deepEqual([...encodeAll([{ kind: 'exit', tid: 300, code: -1, signal: null }])], [5, 0xac, 0x02, 0x01, 0x01]);
  assert.deepEqual([...encodeAll([{ kind: 'exit', tid: 5, code: null, signal: 9 }])], [5, 5, 0x02, 9]);
  assert.deepEqual([...encodeAll([{ kind: 'exit', tid: 5, code: 3, signal: 15 }])], [5, 5, 0x03, 6, 15]);
});

test('syscall frames with register deltas, byte for byte', () => {
  const first: SyscallEvent = {
    kind: 'syscall',
    tid: 7,
    nr: 1,
    mode: SyscallMode.Emulated,
    regs: regs({ [ORIG_RAX]: 1n, [RIP]: 0x401000n }),
    result: -9n,
    writes: [{ addr: 0x1000n, data: new Uint8Array([0x68, 0x69]) }],
    file: null,
    echo: 1,
  };
  const second: SyscallEvent = { ...first, regs: regs({ [ORIG_RAX]: 1n, [RIP]: 0x401005n }), result: 0n, writes: [], echo: 0 };
  const other: SyscallEvent = { ...second, tid: 8, regs: regs({}) };
  const expected = [
    // first: tag, tid 7, nr zigzag(1) = 2, mode 0
    2, 7, 2, 0,
    // regs mask: bits 15 (orig_rax) and 16 (rip) = 0x18000, then orig_rax = 1, rip = 0x401000
    0x00, 0x80, 0x01, 0x00,
    1, 0, 0, 0, 0, 0, 0, 0,
    0x00, 0x10, 0x40, 0, 0, 0, 0, 0,
    // result -9
    0xf7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    // one write at 0x1000 of "hi"
    1, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69,
    // no file, echo 1, no output
    0, 1, 0,
    // second: same tid, only rip changed (bit 16)
    2, 7, 2, 0,
    0x00, 0x00, 0x01, 0x00,
    0x05, 0x10, 0x40, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
    // other tid, all-zero registers: compared with all-zero, nothing changed
    2, 8, 2, 0,
    0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
  ];
  const bytes = encodeAll([first, second, other]);
  assert.deepEqual([...bytes], expected);
  assert.deepEqual(decodeChunk(new Uint8Array(expected)), [first, second, other]);
});

test('empty and large memory writes', () => {
  const big = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  const ev: SyscallEvent = {
    kind: 'syscall',
    tid: 1,
    nr: 0,
    mode: SyscallMode.Emulated,
    regs: regs({}),
    result: BigInt(big.length),
    writes: [
      { addr: 0x10000n, data: big },
      { addr: 0x20000n, data: new Uint8Array(0) },
    ],
    file: null,
    echo: 0,
  };
  assert.deepEqual(decodeChunk(encodeAll([ev])), [ev]);
});

test('values that cannot be encoded are TraceErrors naming the event', () => {
  const base: SyscallEvent = {
    kind: 'syscall',
    tid: 1,
    nr: 0,
    mode: SyscallMode.Emulated,
    regs: regs({}),
    result: 0n,
    writes: [],
    file: null,
    echo: 0,
  };
  const w = new ByteWriter();
  const h = new RegsHistory();
  assert.throws(() => encodeEvent(w, h, { ...base, tid: -1 }), /cannot encode syscall event of tid -1/);
  assert.throws(() => encodeEvent(w, h, { ...base, result: 1n << 63n }), TraceError);
  assert.throws(() => encodeEvent(w, h, { ...base, regs: new BigUint64Array(26) }), /27 registers/);
  assert.throws(() => encodeEvent(w, h, { ...base, writes: [{ addr: -1n, data: new Uint8Array(1) }] }), TraceError);
  assert.throws(() => encodeEvent(w, h, { ...base, mode: 5 as SyscallMode }), /syscall mode 5/);
  assert.throws(() => encodeEvent(w, h, { ...base, echo: 3 }), /echo 3/);
  assert.throws(() => encodeEvent(w, h, { kind: 'bogus' } as unknown as TraceEvent), /unknown event kind "bogus"/);
});

test('malformed frames are TraceErrors', () => {
  assert.throws(() => decodeChunk(new Uint8Array([0x7e, 1, 2])), /unknown frame type 126/);
  assert.throws(() => decodeChunk(new Uint8Array([9, 1, 0]), 2), /patch frame at offset 0 in a version 2 trace/);
  assert.throws(() => decodeChunk(new Uint8Array([10, 1, 1, 0]), 5), /buffered frame at offset 0 in a version 5 trace/);
  assert.throws(() => decodeChunk(new Uint8Array([9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3]), 4), /patched instruction 3/);
  assert.throws(() => decodeChunk(new Uint8Array([10, 1, 2, 72, ...new Array(72).fill(0)])), /buffered frame with 2 records in 72 bytes/);
  assert.throws(() => decodeChunk(new Uint8Array([0])), /unknown frame type 0/);
  // Truncated exit frame.
  assert.throws(() => decodeChunk(new Uint8Array([5, 1, 1])), /frame 0 \(exit\)/);
  // A valid frame followed by a stray byte.
  assert.throws(() => decodeChunk(new Uint8Array([5, 1, 0, 0x42])), /frame 1/);
  // Unknown exit flag bits.
  assert.throws(() => decodeChunk(new Uint8Array([5, 1, 4])), /unknown bits/);
  // Register mask with bit 27 set.
  assert.throws(() => decodeChunk(new Uint8Array([4, 1, 0, 0, 0, 0, 0x08, 0])), /register mask/);
  // Bad enum values.
  assert.throws(() => decodeChunk(new Uint8Array([4, 1, 3, 0, 0, 0, 0, 0])), /trapped instruction 3/);
  assert.throws(() => decodeChunk(new Uint8Array([3, 1, 11, 7])), /signal placement 7/);
  // A count far bigger than the data that follows: refused before any allocation.
  assert.throws(() => decodeChunk(new Uint8Array([4, 1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f])), /more than the 0 bytes/);
  // Every proper prefix of a valid chunk fails cleanly (never a RangeError from DataView or similar).
  const w = new ByteWriter();
  const h = new RegsHistory();
  const boundaries = new Set<number>();
  for (const ev of sampleEvents()) {
    encodeEvent(w, h, ev);
    boundaries.add(w.length);
  }
  const good = w.bytes();
  let tried = 0;
  for (let cut = 1; cut < good.length; cut += cut < 2000 ? 1 : 97) {
    if (boundaries.has(cut)) continue;
    assert.throws(() => decodeChunk(good.subarray(0, cut)), TraceError, `cut at ${cut}`);
    tried++;
  }
  assert.ok(tried > 2000);
});
