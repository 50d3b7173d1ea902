// The record readers against records built here byte by byte as syscallbuf.c writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedFds, decodeRecords, echoedBytes, hasEcho, outputRanges, RECORD_HEADER, withEchoRoom } from './records.js';

function record(nr: number, args: number[], result: bigint, outs: { addr: bigint; bytes: Uint8Array }[], echo = 0): Uint8Array {
  const size = RECORD_HEADER + outs.reduce((n, o) => n + 16 + Math.ceil(o.bytes.length / 8) * 8, 0);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, size, true);
  dv.setInt32(4, nr, true);
  args.forEach((a, k) => dv.setBigUint64(8 + 8 * k, BigInt(a), true));
  dv.setBigInt64(56, result, true);
  dv.setUint32(64, outs.length, true);
  dv.setUint32(68, echo, true);
  let p = RECORD_HEADER;
  for (const o of outs) {
    dv.setBigUint64(p, o.addr, true);
    dv.setBigUint64(p + 8, BigInt(o.bytes.length), true);
    b.set(o.bytes, p + 16);
    p += 16 + Math.ceil(o.bytes.length / 8) * 8;
  }
  return b;
}

const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

const read = record(0, [5, 0x1000, 3], 3n, [{ addr: 0x1000n, bytes: Uint8Array.of(1, 2, 3) }]);
const write = record(1, [1, 0x2000, 5], 5n, [], 1);
const close = record(3, [7], 0n, []);
const failedClose = record(3, [9], -9n, []);
const all = join(read, write, close, failedClose);

test('decodeRecords reads every field and output; closedFds names only successful closes', () => {
  const calls = decodeRecords(all, 4);
  assert.deepEqual(calls.map((c) => [c.nr, c.result, c.echo]), [[0, 3n, 0], [1, 5n, 1], [3, 0n, 0], [3, -9n, 0]]);
  assert.deepEqual(calls[0]!.writes, [{ addr: 0x1000n, len: 3 }]);
  assert.equal(calls[0]!.args[1], 0x1000n);
  assert.deepEqual(closedFds(all, 4), [7]);
  assert.deepEqual(closedFds(all, 2), []);
  assert.equal(hasEcho(all, 1), false);
  assert.equal(hasEcho(all, 2), true);
});

test('an echoed write gets room for its bytes, which echoedBytes finds and outputRanges leaves out', () => {
  const given = withEchoRoom(all, 4)!;
  assert.equal(given.length, all.length + 16 + 8);
  const bytes = new TextEncoder().encode('hello');
  // The buffer copies the program's bytes into the room (after the record's header and the output's addr/len).
  given.set(bytes, read.length + RECORD_HEADER + 16);
  assert.deepEqual(echoedBytes(given, 4).map((e) => [e.echo, Buffer.from(e.bytes).toString()]), [[1, 'hello']]);
  assert.deepEqual(outputRanges(given, 4), [{ addr: 0x1000n, len: 3 }]);
  assert.equal(withEchoRoom(join(read, close), 2), null);
});

test('decodeRecords refuses bytes that are not records', () => {
  assert.throws(() => decodeRecords(all, 5), /record 4 runs past the data/);
  assert.throws(() => decodeRecords(all, 3), /bytes after the last record/);
  const bad = all.slice();
  new DataView(bad.buffer).setUint32(0, 12, true);
  assert.throws(() => decodeRecords(bad, 4), /record 0 has a bad size \(12\)/);
  const longOut = read.slice();
  new DataView(longOut.buffer).setBigUint64(RECORD_HEADER + 8, 64n, true);
  assert.throws(() => decodeRecords(longOut, 1), /record 0: output 0 runs past the record/);
  const badEcho = join(record(1, [1], 1n, [{ addr: 1n, bytes: Uint8Array.of(0) }], 1));
  assert.throws(() => decodeRecords(badEcho, 1), /bad echo field/);
});
