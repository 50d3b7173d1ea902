// Trace layer: raw deflate's stored blocks (RFC 1951 §3.2.4: BTYPE 00, the bytes as they are), written
// and read without node:zlib. Loading node:zlib loads node:stream and some twenty internal modules
// (4–30 ms here), which a short recording or its replay need not pay: the writer stores its first
// chunks this way (STORED_UP_TO) and the reader takes such a chunk apart itself. Any inflater reads
// them (they are ordinary raw deflate), so the trace format does not change.

/** A stored block holds at most this many bytes (LEN is 16 bits). */
const BLOCK_MAX = 0xffff;

/**
 * The writer stores (does not compress) chunks as long as the trace's raw event bytes, the chunk's
 * included, stay within this: what a short recording writes. Past it, every chunk is deflated.
 */
export const STORED_UP_TO = 256 * 1024;

/** raw as raw deflate of stored blocks: for each block of up to 65535 bytes, a header byte (BFINAL on the last, BTYPE 00), LEN, ~LEN, the bytes. */
export function storedDeflate(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / BLOCK_MAX));
  const out = new Uint8Array(raw.length + 5 * blocks);
  let at = 0;
  for (let b = 0; b < blocks; b++) {
    const part = raw.subarray(b * BLOCK_MAX, Math.min(raw.length, (b + 1) * BLOCK_MAX));
    out[at] = b === blocks - 1 ? 1 : 0;
    out[at + 1] = part.length & 0xff;
    out[at + 2] = part.length >>> 8;
    out[at + 3] = ~part.length & 0xff;
    out[at + 4] = (~part.length >>> 8) & 0xff;
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  return out;
}

/**
 * The bytes of a raw deflate stream made only of stored blocks that ends with its final block at the
 * end of body and holds exactly rawLen bytes; null for anything else (a compressed block, a bad LEN,
 * a wrong length), which the caller gives to zlib: it inflates what is valid and says what is not.
 */
export function storedInflate(body: Uint8Array, rawLen: number): Uint8Array | null {
  const out = new Uint8Array(rawLen);
  let at = 0;
  let got = 0;
  for (;;) {
    if (at + 5 > body.length) return null;
    const head = body[at]!;
    if ((head & 0x06) !== 0) return null; // BTYPE is not 00
    const len = body[at + 1]! | (body[at + 2]! << 8);
    const nlen = body[at + 3]! | (body[at + 4]! << 8);
    if ((len ^ 0xffff) !== nlen || at + 5 + len > body.length || got + len > rawLen) return null;
    out.set(body.subarray(at + 5, at + 5 + len), got);
    got += len;
    at += 5 + len;
    if (head & 1) return at === body.length && got === rawLen ? out : null;
  }
}
