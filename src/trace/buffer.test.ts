import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader, ByteWriter, crc32, varintSize } from './buffer.js';
import { TraceError } from './errors.js';

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  // Continuing from a previous result equals one pass over the concatenation.
  const all = new TextEncoder().encode('hello, world');
  assert.equal(crc32(all.subarray(5), crc32(all.subarray(0, 5))), crc32(all));
});

test('varint bytes are LEB128, built by hand', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16384, [0x80, 0x80, 0x01]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [Number.MAX_SAFE_INTEGER, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [v, bytes] of cases) {
    const w = new ByteWriter(16);
    w.varint(v);
    assert.deepEqual([...w.bytes()], bytes, `varint ${v}`);
    assert.equal(varintSize(v), bytes.length);
    const r = new ByteReader(new Uint8Array(bytes));
    assert.equal(r.varint(), v);
    assert.ok(r.atEnd);
  }
});

test('zigzag varints', () => {
  const cases: [number, number[]][] = [
    [0, [0]],
    [-1, [1]],
    [1, [2]],
    [-2, [3]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
  ];
  for (const [v, bytes] of cases) {
    const w = new ByteWriter();
    w.svarint(v);
    assert.deepEqual([...w.bytes()], bytes, `svarint ${v}`);
    assert.equal(new ByteReader(w.bytes()).svarint(), v);
  }
  for (const v of [2 ** 52 - 1, -(2 ** 52), 123456789, -987654321]) {
    const w = new ByteWriter();
    w.svarint(v);
    assert.equal(new ByteReader(w.bytes()).svarint(), v);
  }
});

test('u64 and i64 extremes, little-endian', () => {
  const w = new ByteWriter(4); // forces growth
  w.u64(0xffffffffffffffffn);
  w.u64(0x0102030405060708n);
  w.i64(-1n);
  w.i64(-(1n << 63n));
  w.i64((1n << 63n) - 1n);
  w.u32(0xdeadbeef);
  const b = w.bytes();
  assert.deepEqual([...b.subarray(8, 16)], [8, 7, 6, 5, 4, 3, 2, 1]);
  const r = new ByteReader(b);
  assert.equal(r.u64(), 0xffffffffffffffffn);
  assert.equal(r.u64(), 0x0102030405060708n);
  assert.equal(r.i64(), -1n);
  assert.equal(r.i64(), -(1n << 63n));
  assert.equal(r.i64(), (1n << 63n) - 1n);
  assert.equal(r.u32(), 0xdeadbeef);
  assert.ok(r.atEnd);
});

test('out-of-range values are refused, not wrapped', () => {
  const w = new ByteWriter();
  assert.throws(() => w.u64(-1n), RangeError);
  assert.throws(() => w.u64(1n << 64n), RangeError);
  assert.throws(() => w.i64(1n << 63n), RangeError);
  assert.throws(() => w.varint(-1), RangeError);
  assert.throws(() => w.varint(1.5), RangeError);
  assert.throws(() => w.varint(2 ** 53), RangeError);
  assert.throws(() => w.svarint(2 ** 52), RangeError);
  assert.equal(w.length, 0);
});

test('strings and blobs, including multi-byte UTF-8', () => {
  const w = new ByteWriter(8);
  const strs = ['', 'a', '/usr/lib/x86_64-linux-gnu/libc.so.6', 'héllo wörld', '日本語', '😀 emoji', 'x'.repeat(5000)];
  for (const s of strs) w.string(s);
  w.blob(new Uint8Array([1, 2, 3]));
  w.blob(new Uint8Array(0));
  const r = new ByteReader(w.bytes());
  for (const s of strs) assert.equal(r.string(), s);
  assert.deepEqual(r.blob(), new Uint8Array([1, 2, 3]));
  assert.deepEqual(r.blob(), new Uint8Array(0));
  assert.ok(r.atEnd);

  const w2 = new ByteWriter();
  w2.string('é');
  assert.deepEqual([...w2.bytes()], [2, 0xc3, 0xa9]);
});

test('reader copies bytes and returns plain Uint8Arrays even from a Buffer', () => {
  // (Cast: @types/node 20's Buffer does not type-check as TS 5.9's Uint8Array, though it is one.)
  const src = Buffer.from([3, 9, 8, 7]) as unknown as Uint8Array;
  const got = new ByteReader(src).blob();
  assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
  src[1] = 0;
  assert.deepEqual(got, new Uint8Array([9, 8, 7]));
});

test('reader bounds: overruns and malformed varints are TraceErrors', () => {
  assert.throws(() => new ByteReader(new Uint8Array(3)).u32(), TraceError);
  assert.throws(() => new ByteReader(new Uint8Array(7)).u64(), TraceError);
  assert.throws(() => new ByteReader(new Uint8Array([0x80, 0x80])).varint(), /runs past the end/);
  assert.throws(() => new ByteReader(new Uint8Array(9).fill(0xff)).varint(), /longer than 8 bytes/);
  assert.throws(() => new ByteReader(new Uint8Array([0x80, 0x00])).varint(), /not minimally encoded/);
  // A length far beyond what remains never allocates.
  assert.throws(() => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).blob(), /more than the 0 bytes/);
  assert.throws(() => new ByteReader(new Uint8Array([5, 1, 2])).string(), TraceError);
  // The end bound is respected even when the array holds more.
  const r = new ByteReader(new Uint8Array([1, 2, 3, 4, 5, 6]), 1, 3);
  assert.equal(r.u8(), 2);
  assert.equal(r.u8(), 3);
  assert.throws(() => r.u8(), TraceError);
});

test('writer reset keeps or drops its store', () => {
  const w = new ByteWriter(16);
  w.raw(new Uint8Array(100_000));
  assert.ok(w.capacity >= 100_000);
  w.reset();
  assert.equal(w.length, 0);
  assert.ok(w.capacity >= 100_000);
  w.raw(new Uint8Array(10));
  w.reset(1000);
  assert.ok(w.capacity < 100_000);
  w.u8(7);
  w.u8(8);
  w.truncate(1);
  assert.deepEqual([...w.bytes()], [7]);
});
