import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from './buffer.js';
import { TraceError } from './errors.js';
import { type Regs, type SyscallEvent, type TraceEvent, SignalPlacement, SyscallMode, TrappedInsn } from './events.js';
import { readMeta, TRACE_FORMAT_VERSION, type TraceMetaEnd, type TraceMetaStart } from './meta.js';
import { TraceReader } from './trace-reader.js';
import { STORED_UP_TO, storedInflate } from './stored-deflate.js';
import { FLUSH_BYTES, TraceWriter } from './trace-writer.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-trace-test-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
function tmpDir(): string {
  return path.join(tmpRoot, `t${tmpCount++}`);
}

const START: TraceMetaStart = {
  command: ['./prog', 'arg one', '--flag'],
  exe: '/home/u/prog',
  cwd: '/home/u',
  startTime: '2024-05-01T12:00:00.000Z',
  hostname: 'box',
  kernel: '6.8.0-31-generic',
  rewindVersion: '0.1.0',
  cpu: 1,
  cpuidFaulting: true,
};
const END: TraceMetaEnd = { events: 0, exitCode: 0, exitSignal: null, endTime: '2024-05-01T12:00:01.500Z', durationMs: 1500 };

function regs(rip: bigint, rax = 0n): Regs {
  const r = new BigUint64Array(27);
  r[16] = rip;
  r[10] = rax;
  r[19] = 0x7ffc_0000_0000n;
  r[26] = 0xffffffffffffffffn;
  return r;
}

function syscall(i: number, tid = 100 + (i % 3)): SyscallEvent {
  return {
    kind: 'syscall',
    tid,
    nr: i % 300,
    mode: i % 7 === 0 ? SyscallMode.Executed : SyscallMode.Emulated,
    regs: regs(0x401000n + BigInt(i * 5), BigInt(i)),
    result: i % 5 === 0 ? -11n : BigInt(i),
    writes: i % 4 === 0 ? [{ addr: 0x7ffc_0000_1000n + BigInt(i), data: Uint8Array.from({ length: i % 50 }, (_, k) => (k + i) & 0xff) }] : [],
    file: null,
    echo: 0,
  };
}

function mixed(i: number): TraceEvent {
  switch (i % 5) {
    case 0:
      return syscall(i);
    case 1:
      return { kind: 'insn', tid: 100, insn: TrappedInsn.Rdtsc, regs: regs(0x402000n + BigInt(i)), out: [BigInt(i) * 1000n, 7n] };
    case 2:
      return {
        kind: 'signal',
        tid: 101,
        signo: 17,
        placement: SignalPlacement.SyscallExit,
        siginfo: Uint8Array.from({ length: 128 }, (_, k) => k ^ i),
        regs: regs(0x403000n),
      };
    case 3:
      return syscall(i, 102);
    default:
      return { kind: 'exit', tid: 1000 + i, code: i % 256, signal: null };
  }
}

/** Writes a trace; flushes after each group so chunk boundaries are known. Returns the events by chunk. */
function writeChunked(dir: string, groups: number[], finish = true): TraceEvent[][] {
  const w = TraceWriter.create(dir, START);
  const chunks: TraceEvent[][] = [];
  let n = 0;
  for (const size of groups) {
    const chunk: TraceEvent[] = [];
    for (let i = 0; i < size; i++) {
      const ev = mixed(n++);
      w.append(ev);
      chunk.push(ev);
    }
    w.flush();
    chunks.push(chunk);
  }
  assert.equal(w.eventCount, n);
  if (finish) w.finish({ ...END, events: n });
  else w.close();
  return chunks;
}

function readAll(dir: string): { events: TraceEvent[]; reader: TraceReader } {
  const reader = TraceReader.open(dir);
  return { events: [...reader.events()], reader };
}

/** Byte offsets where each chunk ends (parsed by hand: u32 rawLen, u32 compressedLen, u32 crc, body). */
function chunkEnds(file: Uint8Array): number[] {
  const v = new DataView(file.buffer, file.byteOffset, file.length);
  const ends: number[] = [];
  let pos = 16;
  while (pos + 12 <= file.length) {
    const comp = v.getUint32(pos + 4, true);
    pos += 12 + comp;
    ends.push(pos);
  }
  return ends;
}

const MAGIC = [0x52, 0x57, 0x4e, 0x44, 0x45, 0x56, 0x54, 0x00]; // "RWNDEVT\0"
const HEADER = [...MAGIC, TRACE_FORMAT_VERSION, 0, 0, 0, 0, 0, 0, 0]; // magic, version, flags 0

test('create lays out the directory and the events header, byte for byte', () => {
  const dir = path.join(tmpDir(), 'nested', 'rec');
  const w = TraceWriter.create(dir, START);
  assert.equal(w.dir, dir);
  assert.equal(w.filesDir, path.join(dir, 'files'));
  assert.ok(fs.statSync(w.filesDir).isDirectory());
  assert.deepEqual([...fs.readFileSync(path.join(dir, 'events'))], HEADER);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  assert.deepEqual(meta, { format: 'rewind-trace', version: TRACE_FORMAT_VERSION, ...START, end: null });
  // Readable while still recording: no events yet, and no end marker.
  const r = TraceReader.open(dir);
  assert.equal(r.meta.end, null);
  assert.equal(r.endState, 'unknown');
  assert.deepEqual([...r.events()], []);
  assert.equal(r.endState, 'truncated');
  w.finish(END);
  const r2 = TraceReader.open(dir);
  assert.deepEqual([...r2.events()], []);
  assert.equal(r2.endState, 'complete');
});

test('a hand-built events file (stored deflate block) reads back', () => {
  const dir = tmpDir();
  TraceWriter.create(dir, START).finish(END);
  // Exit frame: tag 5, tid 300 (0xac 0x02), flags 1 (code), code zigzag(-1) = 1.
  const frame = [5, 0xac, 0x02, 0x01, 0x01];
  // Raw deflate "stored" block: BFINAL=1 BTYPE=00, LEN, ~LEN, then the bytes as they are.
  const deflated = [0x01, frame.length, 0x00, ~frame.length & 0xff, 0xff, ...frame];
  const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const crc = crc32(new Uint8Array(deflated)); // crc32 itself is checked against the standard vector in buffer.test
  const file = [...HEADER, ...le32(frame.length), ...le32(deflated.length), ...le32(crc), ...deflated, ...new Array(12).fill(0)];
  fs.writeFileSync(path.join(dir, 'events'), new Uint8Array(file));
  const { events, reader } = readAll(dir);
  assert.deepEqual(events, [{ kind: 'exit', tid: 300, code: -1, signal: null }]);
  assert.equal(reader.endState, 'complete');
});

test('a version 1 trace still reads: its preempt frames have no point identity', () => {
  const dir = tmpDir();
  TraceWriter.create(dir, START).finish(END);
  const metaPath = path.join(dir, 'meta.json');
  fs.writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(fs.readFileSync(metaPath, 'utf8')), version: 1 }));
  // Preempt frame: tag 8, tid 7, register mask 1 << 16 (rip), rip = 0x401000.
  const frame = [8, 7, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10, 0x40, 0, 0, 0, 0, 0];
  const deflated = [0x01, frame.length, 0x00, ~frame.length & 0xff, 0xff, ...frame];
  const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const crc = crc32(new Uint8Array(deflated));
  const file = [...MAGIC, 1, 0, 0, 0, 0, 0, 0, 0, ...le32(frame.length), ...le32(deflated.length), ...le32(crc), ...deflated, ...new Array(12).fill(0)];
  fs.writeFileSync(path.join(dir, 'events'), new Uint8Array(file));
  const { events, reader } = readAll(dir);
  const regs = new BigUint64Array(27);
  regs[16] = 0x401000n;
  assert.deepEqual(events, [{ kind: 'preempt', tid: 7, regs }]);
  assert.equal(reader.endState, 'complete');
});

test('round trip through writer and reader, several chunks, meta end filled in', () => {
  const dir = tmpDir();
  const chunks = writeChunked(dir, [1, 50, 0, 333, 7]);
  const all = chunks.flat();
  const { events, reader } = readAll(dir);
  assert.deepEqual(events, all);
  assert.equal(reader.endState, 'complete');
  assert.deepEqual(reader.meta, { format: 'rewind-trace', version: TRACE_FORMAT_VERSION, ...START, end: { ...END, events: all.length } });
  assert.deepEqual(readMeta(dir), reader.meta);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['events', 'files', 'meta.json']); // no temporary left behind
  // A fresh iteration each call; breaking early is fine.
  assert.deepEqual([...reader.events()], all);
  for (const ev of reader.events()) {
    assert.deepEqual(ev, all[0]);
    break;
  }
  assert.deepEqual([...reader.events()].length, all.length);
});

test('chunks are stored blocks while the raw bytes written stay within STORED_UP_TO, deflated after; all read back', () => {
  const dir = tmpDir();
  const all = writeChunked(dir, [1, 50, 3000, 3000, 3000, 3000, 50]).flat();
  const file = new Uint8Array(fs.readFileSync(path.join(dir, 'events')));
  const v = new DataView(file.buffer, file.byteOffset, file.length);
  let raw = 0;
  let stored = 0;
  let deflated = 0;
  for (let pos = 16; ; ) {
    const rawLen = v.getUint32(pos, true);
    const compLen = v.getUint32(pos + 4, true);
    if (rawLen === 0) break;
    raw += rawLen;
    const isStored = storedInflate(file.subarray(pos + 12, pos + 12 + compLen), rawLen) !== null;
    assert.equal(isStored, raw <= STORED_UP_TO, `chunk at ${pos}: ${rawLen} raw bytes, ${raw} in all, stored ${isStored}`);
    if (isStored) stored++;
    else {
      // (A chunk of a few bytes, cut off a group by the 100 ms flush on a loaded machine, deflates to more.)
      if (rawLen >= 1024) assert.ok(compLen < rawLen, `chunk at ${pos} past STORED_UP_TO is not compressed (${compLen} of ${rawLen})`);
      deflated++;
    }
    pos += 12 + compLen;
  }
  assert.ok(stored >= 2 && deflated >= 2, `stored ${stored}, deflated ${deflated}: make the groups cross STORED_UP_TO`);
  assert.deepEqual(readAll(dir).events, all);
});

test('sizeBytes counts events, meta.json and files/', () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  fs.writeFileSync(path.join(w.filesDir, 'libc.so.6-1'), new Uint8Array(10_000));
  fs.mkdirSync(path.join(w.filesDir, 'sub'));
  fs.writeFileSync(path.join(w.filesDir, 'sub', 'x'), 'abc');
  for (let i = 0; i < 100; i++) w.append(mixed(i));
  w.finish({ ...END, events: 100 });
  const expected =
    fs.statSync(path.join(dir, 'events')).size + fs.statSync(path.join(dir, 'meta.json')).size + 10_000 + 3;
  assert.equal(TraceReader.open(dir).sizeBytes(), expected);
});

test('truncation at every offset yields exactly the complete chunks', () => {
  const dir = tmpDir();
  const chunks = writeChunked(dir, [3, 1, 8, 2, 5]);
  const eventsPath = path.join(dir, 'events');
  const full = new Uint8Array(fs.readFileSync(eventsPath));
  const ends = chunkEnds(full);
  assert.equal(ends.length, chunks.length + 1); // + the end marker
  assert.equal(ends[ends.length - 1], full.length);
  const cuts = new Set<number>();
  for (let c = 0; c < full.length; c++) cuts.add(c);
  let atBoundary = 0;
  for (const cut of cuts) {
    fs.writeFileSync(eventsPath, full.subarray(0, cut));
    const expected = chunks.filter((_, i) => ends[i]! <= cut).flat();
    if (ends.includes(cut)) atBoundary++;
    let got: TraceEvent[];
    let reader: TraceReader;
    try {
      ({ events: got, reader } = readAll(dir));
    } catch (e) {
      assert.fail(`cut at ${cut} of ${full.length} threw: ${(e as Error).message}`);
    }
    assert.deepEqual(got, expected, `cut at ${cut}`);
    assert.equal(reader.endState, 'truncated', `cut at ${cut}`);
  }
  assert.ok(atBoundary >= chunks.length);
  fs.writeFileSync(eventsPath, full);
  assert.equal(readAll(dir).reader.endState, 'complete');
});

test('a recorder killed without finish: complete chunks read, meta end is null', () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  for (let i = 0; i < 10; i++) w.append(mixed(i));
  w.flush();
  for (let i = 10; i < 15; i++) w.append(mixed(i)); // pending, never written
  // (no finish: as if SIGKILLed)
  const { events, reader } = readAll(dir);
  assert.equal(events.length, 10);
  assert.equal(reader.endState, 'truncated');
  assert.equal(reader.meta.end, null);
  w.close();
  assert.equal(readAll(dir).events.length, 15); // close() flushes but writes no end marker
  assert.equal(readAll(dir).reader.endState, 'truncated');
});

function expectCorrupt(dir: string, pattern: RegExp): void {
  const reader = TraceReader.open(dir);
  let err: unknown;
  try {
    for (const _ of reader.events()) {
      // drain
    }
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TraceError, `expected a TraceError, got ${String(err)}`);
  assert.match(err.message, /^corrupt trace /);
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes('\n'));
}

test('a flipped byte inside a chunk body is a checksum TraceError', () => {
  const dir = tmpDir();
  writeChunked(dir, [4, 4, 4]);
  const eventsPath = path.join(dir, 'events');
  const full = new Uint8Array(fs.readFileSync(eventsPath));
  const ends = chunkEnds(full);
  for (const at of [16 + 12, ends[0]! + 12 + 3, ends[2]! - 1]) {
    const bad = full.slice();
    bad[at]! ^= 0x20;
    fs.writeFileSync(eventsPath, bad);
    expectCorrupt(dir, /events chunk \d at byte \d+ fails its checksum/);
  }
  // The events of the chunks before the bad one came out first.
  const bad = full.slice();
  bad[ends[1]! + 20]! ^= 1;
  fs.writeFileSync(eventsPath, bad);
  const seen: TraceEvent[] = [];
  assert.throws(() => {
    for (const ev of TraceReader.open(dir).events()) seen.push(ev);
  }, /chunk 2 at byte/);
  assert.equal(seen.length, 8);
});

/** Replaces the events file with the header, the given chunks (checksums computed) and an end marker. */
function writeRawChunks(dir: string, chunks: { rawLen: number; body: Uint8Array; crc?: number }[], endMarker = true): void {
  const parts: number[] = [...HEADER];
  const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  for (const c of chunks) parts.push(...le32(c.rawLen), ...le32(c.body.length), ...le32(c.crc ?? crc32(c.body)), ...c.body);
  if (endMarker) parts.push(...new Array(12).fill(0));
  fs.writeFileSync(path.join(dir, 'events'), new Uint8Array(parts));
}

function stored(bytes: number[]): Uint8Array {
  return new Uint8Array([0x01, bytes.length & 0xff, bytes.length >> 8, ~bytes.length & 0xff, (~bytes.length >> 8) & 0xff, ...bytes]);
}

test('complete chunks that are wrong in other ways are corrupt, not truncated', () => {
  const dir = tmpDir();
  TraceWriter.create(dir, START).finish(END);
  const exit = [5, 1, 1, 0];
  writeRawChunks(dir, [{ rawLen: 4, body: new Uint8Array([0xff, 0xfe, 0xfd, 0x00]) }]);
  expectCorrupt(dir, /does not inflate/);
  writeRawChunks(dir, [{ rawLen: 5, body: stored(exit) }]);
  expectCorrupt(dir, /inflates to 4 bytes, not the 5/);
  writeRawChunks(dir, [{ rawLen: 3, body: stored(exit) }]);
  expectCorrupt(dir, /chunk 0 at byte 16/);
  writeRawChunks(dir, [{ rawLen: 4, body: stored([0x7e, 1, 1, 0]) }]);
  expectCorrupt(dir, /unknown frame type 126/);
  writeRawChunks(dir, [{ rawLen: 5, body: stored([...exit, 0x07]) }]);
  expectCorrupt(dir, /is malformed: frame 1/);
  writeRawChunks(dir, [{ rawLen: 4, body: stored(exit), crc: 1234 }]);
  expectCorrupt(dir, /fails its checksum/);
  // Absurd lengths are refused before any allocation, even when the file is short.
  writeRawChunks(dir, [{ rawLen: 0xffffffff, body: stored(exit) }]);
  expectCorrupt(dir, /claims 4294967295 raw bytes/);
  writeRawChunks(dir, [{ rawLen: 4, body: stored(exit) }], false);
  fs.appendFileSync(path.join(dir, 'events'), new Uint8Array([4, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  expectCorrupt(dir, /chunk 1 .* compressed bytes, more than/);
  writeRawChunks(dir, [{ rawLen: 0, body: stored(exit) }]);
  expectCorrupt(dir, /impossible length/);
  // Anything after the end marker.
  writeRawChunks(dir, [{ rawLen: 4, body: stored(exit) }]);
  fs.appendFileSync(path.join(dir, 'events'), new Uint8Array([0]));
  expectCorrupt(dir, /end marker followed by more data/);
  // A sane one reads.
  writeRawChunks(dir, [{ rawLen: 4, body: stored(exit) }, { rawLen: 4, body: stored([5, 2, 2, 9]) }]);
  assert.deepEqual(readAll(dir).events, [
    { kind: 'exit', tid: 1, code: 0, signal: null },
    { kind: 'exit', tid: 2, code: null, signal: 9 },
  ]);
});

test('a zip bomb is stopped at rawLen', () => {
  const dir = tmpDir();
  TraceWriter.create(dir, START).finish(END);
  // Stored blocks of 64 KiB zeros, claimed as 4 bytes: inflate must stop, not fill memory.
  const zeros = new Uint8Array(65_000);
  const body = new Uint8Array([0x01, 65_000 & 0xff, 65_000 >> 8, ~65_000 & 0xff, (~65_000 >> 8) & 0xff, ...zeros]);
  writeRawChunks(dir, [{ rawLen: 4, body }]);
  expectCorrupt(dir, /chunk 0/);
});

test('versions newer than this rewind are refused, naming the version', () => {
  const dir = tmpDir();
  writeChunked(dir, [2]);
  const metaPath = path.join(dir, 'meta.json');
  const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
  fs.writeFileSync(metaPath, JSON.stringify({ ...meta, version: TRACE_FORMAT_VERSION + 1 }));
  assert.throws(() => readMeta(dir), (e: unknown) => {
    assert.ok(e instanceof TraceError);
    assert.ok(e.message.includes(`trace format version ${TRACE_FORMAT_VERSION + 1} is newer than this rewind understands (${TRACE_FORMAT_VERSION}); upgrade rewind`), e.message);
    return true;
  });
  assert.throws(() => TraceReader.open(dir), new RegExp(`version ${TRACE_FORMAT_VERSION + 1} is newer`));

  fs.writeFileSync(metaPath, JSON.stringify(meta));
  const eventsPath = path.join(dir, 'events');
  const file = new Uint8Array(fs.readFileSync(eventsPath));
  file[8] = TRACE_FORMAT_VERSION + 1;
  fs.writeFileSync(eventsPath, file);
  const newer = new RegExp(`events file format version ${TRACE_FORMAT_VERSION + 1} is newer`);
  assert.throws(() => TraceReader.open(dir), (e: unknown) => e instanceof TraceError && newer.test(e.message));
});

test('missing directories, non-traces and broken meta.json are TraceErrors', () => {
  const missing = path.join(tmpRoot, 'does-not-exist');
  assert.throws(() => TraceReader.open(missing), (e: unknown) => e instanceof TraceError && /no trace at .*does-not-exist/.test(e.message));
  assert.throws(() => readMeta(missing), TraceError);

  const empty = tmpDir();
  fs.mkdirSync(empty);
  assert.throws(() => TraceReader.open(empty), /is not a rewind trace \(no meta.json\)/);

  const file = path.join(tmpRoot, 'plain-file');
  fs.writeFileSync(file, 'hello');
  assert.throws(() => TraceReader.open(file), /not a rewind trace \(not a directory\)/);

  const dir = tmpDir();
  writeChunked(dir, [1]);
  const metaPath = path.join(dir, 'meta.json');
  const good = fs.readFileSync(metaPath, 'utf8');
  fs.writeFileSync(metaPath, '{"format": "rewind-trace", "version": 1,');
  assert.throws(() => TraceReader.open(dir), (e: unknown) => e instanceof TraceError && /^corrupt trace .*meta.json is not valid JSON/.test(e.message) && !e.message.includes('\n'));
  fs.writeFileSync(metaPath, JSON.stringify({ format: 'something-else', version: 1 }));
  assert.throws(() => TraceReader.open(dir), /not a rewind trace/);
  fs.writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(good), command: 'ls' }));
  assert.throws(() => TraceReader.open(dir), /field "command"/);
  fs.writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(good), version: 'one' }));
  assert.throws(() => TraceReader.open(dir), /invalid version/);
  fs.writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(good), cpuidTable: ['0 0000001c 756e6547 6c65746e'] }));
  assert.throws(() => TraceReader.open(dir), /field "cpuidTable" is not a list of "leaf\[\.subleaf\] eax ebx ecx edx" in hex/);
  fs.writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(good), cpuidTable: ['0 0000001c 756e6547 6c65746e 49656e69', '7.1 00000000 00000000 00000000 00000000'] }));
  assert.deepEqual(readMeta(dir).cpuidTable, ['0 0000001c 756e6547 6c65746e 49656e69', '7.1 00000000 00000000 00000000 00000000']);
  fs.writeFileSync(metaPath, good);

  const eventsPath = path.join(dir, 'events');
  const events = new Uint8Array(fs.readFileSync(eventsPath));
  fs.writeFileSync(eventsPath, 'GIF89a not a trace at all');
  assert.throws(() => TraceReader.open(dir), /does not start with the rewind events magic/);
  fs.rmSync(eventsPath);
  assert.throws(() => TraceReader.open(dir), /has no events file/);
  fs.writeFileSync(eventsPath, events);
  assert.equal(readAll(dir).events.length, 1);
});

test('create refuses a non-empty directory or a file', () => {
  const dir = tmpDir();
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'something'), 'x');
  assert.throws(() => TraceWriter.create(dir, START), (e: unknown) => e instanceof TraceError && /not empty/.test(e.message));
  const empty = tmpDir();
  fs.mkdirSync(empty);
  TraceWriter.create(empty, START).finish(END); // an existing empty directory is fine
  assert.throws(() => TraceWriter.create(path.join(dir, 'something'), START), /not a directory/);
});

test('the writer flushes at the size threshold and keeps memory bounded', () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  const eventsPath = path.join(dir, 'events');
  const big = (i: number): SyscallEvent => ({ ...syscall(i), writes: [{ addr: 0x1000n, data: new Uint8Array(4096).fill(i & 0xff) }] });
  let i = 0;
  while (w.chunkCount === 0) {
    assert.ok(w.pendingBytes < FLUSH_BYTES);
    w.append(big(i++));
  }
  assert.equal(w.pendingBytes, 0);
  // The chunk on disk holds just over 1 MiB of raw frames: the last event crossed the threshold.
  const head = new DataView(new Uint8Array(fs.readFileSync(eventsPath)).buffer);
  const rawLen = head.getUint32(16, true);
  assert.ok(rawLen >= FLUSH_BYTES && rawLen < FLUSH_BYTES + 4096 + 100, `first chunk holds ${rawLen} bytes`);
  // A single event above the threshold goes out on its own at once.
  w.append({ ...syscall(1), writes: [{ addr: 0n, data: new Uint8Array(2 * FLUSH_BYTES) }] });
  assert.equal(w.pendingBytes, 0);
  w.finish({ ...END, events: w.eventCount });
  const { events } = readAll(dir);
  assert.equal(events.length, i + 1);
  assert.deepEqual(events[3], big(3));
});

test('the writer flushes when 200 ms have passed since the last flush', async () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  w.append(mixed(0));
  w.append(mixed(1));
  assert.ok(w.pendingBytes > 0);
  await new Promise((r) => setTimeout(r, 250));
  w.append(mixed(2));
  assert.equal(w.pendingBytes, 0);
  assert.equal(w.chunkCount, 1);
  assert.equal(readAll(dir).events.length, 3); // on disk before finish
  w.finish(END);
});

test('an event that cannot be encoded is refused and the trace stays consistent', () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  const a = syscall(1, 5);
  w.append(a);
  // Same tid, different registers, then an out-of-range result: the register delta state moved on.
  const bad: SyscallEvent = { ...syscall(2, 5), result: 1n << 64n };
  assert.throws(() => w.append(bad), (e: unknown) => e instanceof TraceError && /cannot encode syscall event of tid 5/.test(e.message));
  const b = syscall(2, 5);
  w.append(b);
  // The same when the refused event is the first of its chunk.
  w.flush();
  assert.throws(() => w.append({ ...syscall(3, 5), result: 1n << 64n }), TraceError);
  const c = syscall(3, 5);
  w.append(c);
  assert.equal(w.eventCount, 3);
  w.finish({ ...END, events: 3 });
  assert.deepEqual(readAll(dir).events, [a, b, c]);
  assert.throws(() => w.append(a), /writer is closed/);
  assert.throws(() => w.finish(END), /writer is closed/);
});

test('200k small events: pending memory stays bounded and every event reads back', () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START);
  const n = 200_000;
  let maxPending = 0;
  const r = regs(0x401000n);
  for (let i = 0; i < n; i++) {
    r[16] = 0x401000n + BigInt(i & 0xff);
    w.append({ kind: 'insn', tid: 1 + (i & 3), insn: TrappedInsn.Rdtsc, regs: r, out: [BigInt(i), 0n] });
    if (w.pendingBytes > maxPending) maxPending = w.pendingBytes;
  }
  w.finish({ ...END, events: n });
  assert.ok(maxPending < FLUSH_BYTES + 1024);
  assert.ok(w.chunkCount >= 2);
  let count = 0;
  let last: TraceEvent | undefined;
  const reader = TraceReader.open(dir);
  for (const ev of reader.events()) {
    count++;
    last = ev;
  }
  assert.equal(count, n);
  assert.equal(reader.endState, 'complete');
  assert.ok(last && last.kind === 'insn' && last.out[0] === BigInt(n - 1) && last.tid === 1 + ((n - 1) & 3));
  assert.equal(reader.meta.end?.events, n);
});
