// Tests for encoding.ts. Expected bytes are written out by hand (checksums taken from a real gdb 13
// packet log), never produced by the code under test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checksum,
  escapeBinary,
  fromHex,
  hexDecodeText,
  hexEncodeText,
  latin1Bytes,
  littleEndian,
  parseHexBigInt,
  parseHexInt,
  readLittleEndian,
  toHex,
  unescapeBinary,
} from './encoding.js';
import { framePacket } from './framing.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('checksums match those gdb sent', () => {
  const known: [string, number][] = [
    ['g', 0x67],
    ['?', 0x3f],
    ['OK', 0x9a],
    ['vMustReplyEmpty', 0x3a],
    ['QStartNoAckMode', 0xb0],
    ['Hgp0.0', 0xad],
    ['m401000,1', 0xef],
    ['Z0,401004,1', 0x3c],
    ['vCont?', 0x49],
    ['', 0x00],
  ];
  for (const [data, sum] of known) assert.equal(checksum(latin1Bytes(data)), sum, data);
});

test('framePacket writes $data#cc', () => {
  assert.deepEqual(framePacket('OK'), bytes(0x24, 0x4f, 0x4b, 0x23, 0x39, 0x61));
  assert.deepEqual(framePacket(''), bytes(0x24, 0x23, 0x30, 0x30));
  assert.equal(Buffer.from(framePacket('qTStatus')).toString('latin1'), '$qTStatus#49');
});

test('hex encodes and decodes, rejecting bad input', () => {
  assert.equal(toHex(bytes(0x00, 0x0f, 0xa0, 0xff)), '000fa0ff');
  assert.deepEqual(fromHex('000fA0ff'), bytes(0x00, 0x0f, 0xa0, 0xff));
  assert.equal(fromHex('abc'), null);
  assert.equal(fromHex('zz'), null);
  assert.equal(fromHex('0x'), null);
  assert.deepEqual(fromHex(''), bytes());
  assert.equal(hexEncodeText('hi\n'), '68690a');
  assert.equal(hexDecodeText('68690a'), 'hi\n');
  assert.equal(hexDecodeText('6'), null);
});

test('hex numbers are bounded', () => {
  assert.equal(parseHexBigInt('ffffffffffffffff'), 0xffffffffffffffffn);
  assert.equal(parseHexBigInt('1ffffffffffffffff'), null);
  assert.equal(parseHexBigInt(''), null);
  assert.equal(parseHexBigInt('-1'), null);
  assert.equal(parseHexInt('4000'), 0x4000);
  assert.equal(parseHexInt('123456789'), null);
  assert.equal(parseHexInt('1g'), null);
});

test('binary escaping: # $ } * become } then byte^0x20', () => {
  const raw = bytes(0x01, 0x23, 0x24, 0x7d, 0x2a, 0x00, 0xff);
  const escaped = bytes(0x01, 0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x00, 0xff);
  assert.deepEqual(escapeBinary(raw).escaped, escaped);
  assert.equal(escapeBinary(raw).consumed, raw.length);
  assert.deepEqual(unescapeBinary(escaped), raw);
  assert.equal(unescapeBinary(bytes(0x41, 0x7d)), null);
});

test('escapeBinary stops before exceeding its output limit, never splitting an escape', () => {
  const { escaped, consumed } = escapeBinary(bytes(0x41, 0x42, 0x23, 0x43), 3);
  assert.deepEqual(escaped, bytes(0x41, 0x42));
  assert.equal(consumed, 2);
});

test('escape round trip over every byte value', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const { escaped } = escapeBinary(all);
  assert.equal(escaped.length, 256 + 4);
  for (const b of [0x23, 0x24, 0x2a]) assert.ok(!escaped.includes(b));
  assert.deepEqual(unescapeBinary(escaped), all);
});

test('little-endian register bytes', () => {
  assert.deepEqual(littleEndian(0x401000n, 8), bytes(0x00, 0x10, 0x40, 0, 0, 0, 0, 0));
  assert.deepEqual(littleEndian(-1n, 4), bytes(0xff, 0xff, 0xff, 0xff));
  assert.equal(readLittleEndian(bytes(0x46, 0x02, 0, 0), 0, 4), 0x246n);
});
