// Tests for framing.ts: packets split at every position, bad checksums, garbage, oversized
// packets, run-length encoding. Input streams are written by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latin1Bytes, latin1Text } from './encoding.js';
import { PacketReader, type FrameEvent } from './framing.js';

/** Events rendered as short strings, so tests compare plain arrays. */
function render(events: FrameEvent[]): string[] {
  return events.map((e) => (e.type === 'packet' ? `packet:${latin1Text(e.data)}` : e.type));
}

function feed(reader: PacketReader, ...chunks: string[]): string[] {
  return chunks.flatMap((c) => render(reader.push(latin1Bytes(c))));
}

const STREAM = '+$qSupported:multiprocess+#c6junk$g#67\x03-$m401000,1#ef+$bad#00$X0,2:}\x03}]#7a';
const EXPECTED = [
  'ack',
  'packet:qSupported:multiprocess+',
  'packet:g',
  'interrupt',
  'nack',
  'packet:m401000,1',
  'ack',
  'bad-checksum',
  'packet:X0,2:}\x03}]',
];

test('a multi-packet stream in one chunk', () => {
  assert.deepEqual(feed(new PacketReader(), STREAM), EXPECTED);
});

test('every split position into two chunks gives the same events', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(feed(new PacketReader(), STREAM.slice(0, i), STREAM.slice(i)), EXPECTED, `split at ${i}`);
  }
});

test('every pair of split positions (three chunks) gives the same events', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    for (let j = i; j <= STREAM.length; j++) {
      const got = feed(new PacketReader(), STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j));
      assert.deepEqual(got, EXPECTED, `split at ${i},${j}`);
    }
  }
});

test('byte-at-a-time feeding', () => {
  const reader = new PacketReader();
  assert.deepEqual(feed(reader, ...STREAM.split('')), EXPECTED);
});

test('empty packet, NUL bytes and uppercase checksum digits', () => {
  assert.deepEqual(feed(new PacketReader(), '$#00'), ['packet:']);
  assert.deepEqual(feed(new PacketReader(), '$\x00#00'), ['packet:\x00']);
  assert.deepEqual(feed(new PacketReader(), '\x00\x00$g#67'), ['packet:g']);
  assert.deepEqual(feed(new PacketReader(), '$OK#9A'), ['packet:OK']);
});

test('non-hex checksum digits are a bad checksum', () => {
  assert.deepEqual(feed(new PacketReader(), '$g#zz$g#67'), ['bad-checksum', 'packet:g']);
});

test('a $ inside a packet restarts: the truncated packet is dropped', () => {
  assert.deepEqual(feed(new PacketReader(), '$qSupp$g#67'), ['packet:g']);
});

test('run-length encoding is expanded after the checksum is checked', () => {
  // "0* " = '0' then 3 more: 0000. Checksum covers the raw bytes: 0x30+0x2a+0x20 = 0x7a.
  assert.deepEqual(feed(new PacketReader(), '$0* #7a'), ['packet:0000']);
  // A leading '*' has nothing to repeat: kept literally (0x2a + 0x20 = 0x4a).
  assert.deepEqual(feed(new PacketReader(), '$* #4a'), ['packet:* ']);
});

test('oversized packets are discarded with bounded memory, then reading resumes', () => {
  const reader = new PacketReader(16);
  const big = 'x'.repeat(100);
  assert.deepEqual(feed(reader, `$${big}`), []);
  assert.ok(reader.buffered <= 16);
  assert.deepEqual(feed(reader, '#00$g#67'), ['oversized', 'packet:g']);
  // Junk with no '#' ends at the next '$' without an event.
  assert.deepEqual(feed(reader, `$${big}`, '$?#3f'), ['packet:?']);
  // Run-length expansion beyond the cap is oversized too: "x*~" = 1 + 97 bytes.
  assert.deepEqual(feed(reader, '$x*~#20'), ['oversized']);
});

test('a megabyte of garbage between packets is skipped', () => {
  const reader = new PacketReader();
  const garbage = 'G'.repeat(1 << 20);
  assert.deepEqual(feed(reader, garbage, '$g#67'), ['packet:g']);
  assert.equal(reader.buffered, 0);
});
