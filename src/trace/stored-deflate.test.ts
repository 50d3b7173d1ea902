// Stored deflate blocks: zlib inflates what storedDeflate writes, storedInflate reads it back and
// zlib's own stored blocks, and gives null (zlib's turn) for compressed or damaged streams.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { storedDeflate, storedInflate } from './stored-deflate.js';

const data = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);

test('zlib inflates storedDeflate output, and storedInflate gives the bytes back, across block sizes', () => {
  for (const n of [1, 2, 1000, 65534, 65535, 65536, 65537, 3 * 65535, 200_000]) {
    const raw = data(n);
    const body = storedDeflate(raw);
    assert.equal(body.length, n + 5 * Math.ceil(n / 65535), `size ${n}`);
    assert.deepEqual(new Uint8Array(zlib.inflateRawSync(body)), raw, `zlib, size ${n}`);
    assert.deepEqual(storedInflate(body, n), raw, `storedInflate, size ${n}`);
  }
});

test('storedInflate reads zlib\'s stored blocks (level 0) and refuses compressed blocks', () => {
  const raw = data(150_000);
  const level0 = new Uint8Array(zlib.deflateRawSync(raw, { level: 0 }));
  assert.deepEqual(storedInflate(level0, raw.length), raw);
  const text = new TextEncoder().encode('compressible '.repeat(1000));
  assert.equal(storedInflate(new Uint8Array(zlib.deflateRawSync(text, { level: 1 })), text.length), null);
});

test('storedInflate: null for a wrong length, a bad ~LEN, a missing final block or bytes after it', () => {
  const raw = data(70_000);
  const body = storedDeflate(raw);
  assert.equal(storedInflate(body, raw.length - 1), null);
  assert.equal(storedInflate(body, raw.length + 1), null);
  const badNlen = body.slice();
  badNlen[3] ^= 1;
  assert.equal(storedInflate(badNlen, raw.length), null);
  assert.equal(storedInflate(body.subarray(0, body.length - 1), raw.length), null);
  const trailing = new Uint8Array(body.length + 1);
  trailing.set(body);
  assert.equal(storedInflate(trailing, raw.length), null);
  const notFinal = storedDeflate(raw.subarray(0, 10));
  notFinal[0] = 0;
  assert.equal(storedInflate(notFinal, 10), null);
});
