// Trace layer: little-endian byte encoding. A growable writer, a bounded reader cursor, LEB128 varints,
// u64/i64 as bigint, UTF-8 strings, and CRC-32. Imports nothing from rewind but errors.ts.
// Every read is bounds-checked: running past the end or meeting a malformed value throws TraceError
// (with a short detail; trace-reader.ts adds which trace, chunk and byte).

import { TraceError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Growable little-endian writer. Reuse it with reset(); the backing store keeps its capacity. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Current size of the backing store. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forget the contents. When the store grew past maxKeep bytes it is replaced by a small one. */
  reset(maxKeep = Infinity): void {
    this.pos = 0;
    if (this.buf.length > maxKeep) {
      this.buf = new Uint8Array(4096);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** Drop everything after the first `length` bytes (used to undo a partly written record). */
  truncate(length: number): void {
    if (length < 0 || length > this.pos) throw new RangeError(`cannot truncate ${this.pos} bytes to ${length}`);
    this.pos = length;
  }

  /** A view of the bytes written so far (valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  /** Unsigned 64-bit; throws RangeError outside 0..2^64-1 rather than wrapping silently. */
  u64(v: bigint): void {
    if (v < 0n || v > U64_MAX) throw new RangeError(`value ${v} does not fit in a u64`);
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  /** Signed 64-bit, two's complement; throws RangeError outside -2^63..2^63-1. */
  i64(v: bigint): void {
    if (v < I64_MIN || v > I64_MAX) throw new RangeError(`value ${v} does not fit in an i64`);
    this.ensure(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  /** Unsigned LEB128 of a safe non-negative integer (0..2^53-1): 7 bits a byte, low first, high bit = more. */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`value ${v} is not a non-negative safe integer`);
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Signed integer as zigzag (0,-1,1,-2… → 0,1,2,3…) then unsigned LEB128. -2^52 ≤ v < 2^52. */
  svarint(v: number): void {
    if (!Number.isInteger(v) || v < -(2 ** 52) || v >= 2 ** 52) throw new RangeError(`value ${v} is out of the signed varint range`);
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Raw bytes, no length. */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** varint length then the bytes. */
  blob(data: Uint8Array): void {
    this.varint(data.length);
    this.raw(data);
  }

  /** varint byte length then UTF-8. */
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + n));
    this.pos += written;
  }
}

/** Number of bytes varint(v) takes. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Bounded little-endian reader over [start, end) of a byte array. Reads past `end` or malformed
 * values throw TraceError with a detail naming the offset; callers wrap it with context.
 */
export class ByteReader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(data: Uint8Array, start = 0, end = data.length) {
    // A plain Uint8Array view (not a Buffer) so slice() copies and the results are plain Uint8Arrays.
    this.buf = new Uint8Array(data.buffer, data.byteOffset, data.length);
    this.view = new DataView(data.buffer, data.byteOffset, data.length);
    if (start < 0 || end > data.length || start > end) throw new RangeError(`bad reader bounds ${start}..${end} of ${data.length}`);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new TraceError(`${what} at offset ${this.pos} needs ${n} bytes but only ${this.end - this.pos} remain`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8, 'i64');
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 8 bytes and at most 2^53-1. */
  varint(): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new TraceError(`varint at offset ${start} runs past the end of the data`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new TraceError(`varint at offset ${start} is too large`);
        if (i > 0 && b === 0) throw new TraceError(`varint at offset ${start} is not minimally encoded`);
        return result;
      }
      scale *= 0x80;
    }
    throw new TraceError(`varint at offset ${start} is longer than 8 bytes`);
  }

  /** Zigzag signed LEB128 (see ByteWriter.svarint). */
  svarint(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A varint to be used as a count or length: also checked against the bytes left (each item ≥ minItemSize bytes). */
  count(what: string, minItemSize = 1): number {
    const at = this.pos;
    const n = this.varint();
    if (n * minItemSize > this.end - this.pos) {
      throw new TraceError(`${what} at offset ${at} is ${n}, more than the ${this.end - this.pos} bytes that remain`);
    }
    return n;
  }

  /** A copy of the next n bytes. */
  raw(n: number): Uint8Array {
    this.need(n, 'bytes');
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** varint length then the bytes (copied). */
  blob(what = 'byte string'): Uint8Array {
    return this.raw(this.count(`${what} length`));
  }

  /**
   * varint length then the bytes, not copied: a view of the data read, for a big blob no one changes
   * (a buffered batch: up to a MiB, which a copy costs in page faults of fresh memory).
   */
  blobView(what = 'byte string'): Uint8Array {
    const n = this.count(`${what} length`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** varint byte length then UTF-8 (invalid sequences become U+FFFD). */
  string(what = 'string'): string {
    const n = this.count(`${what} length`);
    const s = utf8Decoder.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), as zlib and PNG use.
const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of data, continuing from a previous result when `crc` is given. Unsigned 32-bit result. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  const t = CRC_TABLE;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
