// records: echoRooms names the places withEchoRoom gives echoed writes, where echoedBytes finds their bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { echoedBytes, echoRooms, withEchoRoom } from './records.js';

const HEADER = 72;

/** One record as the buffer writes it: header (size, nr, args, result, nout, echo), then outputs. */
function record(nr: number, result: number, echo: number, outputs: Uint8Array[] = []): Uint8Array {
  const body = outputs.reduce((n, o) => n + 16 + Math.ceil(o.length / 8) * 8, 0);
  const r = new Uint8Array(HEADER + body);
  const dv = new DataView(r.buffer);
  dv.setUint32(0, r.length, true);
  dv.setInt32(4, nr, true);
  dv.setBigInt64(56, BigInt(result), true);
  dv.setUint32(64, outputs.length, true);
  dv.setUint32(68, echo, true);
  let at = HEADER;
  for (const o of outputs) {
    dv.setBigUint64(at, 0x1000n, true);
    dv.setBigUint64(at + 8, BigInt(o.length), true);
    r.set(o, at + 16);
    at += 16 + Math.ceil(o.length / 8) * 8;
  }
  return r;
}

test('echoRooms: the rooms withEchoRoom adds, where echoedBytes reads the program\'s bytes', () => {
  const records = [
    record(0, 5, 0, [Uint8Array.of(1, 2, 3, 4, 5)]), // read: 5 bytes out
    record(1, 13, 1), // write to stdout: 13 bytes echoed
    record(3, 0, 0), // close
    record(1, 8, 2), // write to stderr: 8 bytes
    record(1, 1, 1), // 1 byte
  ];
  const data = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of records) {
    data.set(r, at);
    at += r.length;
  }
  const given = withEchoRoom(data, records.length)!;
  const rooms = echoRooms(data, records.length);
  assert.deepEqual(rooms.map((r) => [r.echo, r.len]), [[1, 13], [2, 8], [1, 1]]);
  // The program writes its bytes into each room; echoedBytes finds the same bytes there.
  rooms.forEach((r, k) => given.fill(0x41 + k, r.at, r.at + r.len));
  const found = echoedBytes(given, records.length);
  assert.deepEqual(found.map((e) => e.echo), rooms.map((r) => r.echo));
  found.forEach((e, k) => assert.deepEqual(e.bytes, given.subarray(rooms[k]!.at, rooms[k]!.at + rooms[k]!.len)));
  assert.deepEqual(found[1]!.bytes, new Uint8Array(8).fill(0x42));
  // The sizes add up to what was given: records plus each room (16 bytes and the data, 8-aligned).
  assert.equal(given.length, data.length + rooms.reduce((n, r) => n + 16 + Math.ceil(r.len / 8) * 8, 0));
  assert.deepEqual(echoRooms(records[0]!, 1), []);
});
