// gdb layer: byte encodings of the remote protocol (hex, binary escaping, checksums, little-endian
// numbers). Pure functions; imports nothing.

const HEX_DIGITS = '0123456789abcdef';
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

// Byte data is typed Uint8Array throughout src/gdb: @types/node 20's Buffer does not type-check as
// TS 5.9's Uint8Array, so Buffers are only made and used inside these helpers.

/** One byte per character (packet text is ASCII; latin1 keeps any byte value). */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** One character per byte of bytes[start, end). */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end);
}

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Modulo-256 sum of the packet data bytes (what follows `#`). */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sum;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return out;
}

/** Two hex digits, lowercase. */
export function hexByte(value: number): string {
  return HEX_DIGITS[(value >> 4) & 15]! + HEX_DIGITS[value & 15]!;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Decodes pairs of hex digits; null on odd length or a non-hex character. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** A big-endian hex number of 1..16 digits (addresses); null otherwise. */
export function parseHexBigInt(text: string): bigint | null {
  if (text.length === 0 || text.length > 16) return null;
  for (let i = 0; i < text.length; i++) if (hexValue(text.charCodeAt(i)) < 0) return null;
  return BigInt('0x' + text);
}

/** A hex number of 1..8 digits (lengths, register numbers, signals); null otherwise. */
export function parseHexInt(text: string): number | null {
  if (text.length === 0 || text.length > 8) return null;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const d = hexValue(text.charCodeAt(i));
    if (d < 0) return null;
    v = v * 16 + d;
  }
  return v;
}

/** Hex text of a string's UTF-8 bytes (O packets, qRcmd output). */
export function hexEncodeText(text: string): string {
  return toHex(utf8Encoder.encode(text));
}

/** Decodes hex into UTF-8 text; null on bad hex. */
export function hexDecodeText(hex: string): string | null {
  const bytes = fromHex(hex);
  return bytes === null ? null : utf8Decoder.decode(bytes);
}

const ESCAPE = 0x7d;

function needsEscape(b: number): boolean {
  // '#', '$', '}' frame the packet; '*' would read as run-length encoding.
  return b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a;
}

/**
 * Escapes binary data for a packet, stopping before the output would exceed `maxOut` bytes.
 * Returns the escaped bytes and how many input bytes they hold.
 */
export function escapeBinary(
  data: Uint8Array,
  maxOut = Number.MAX_SAFE_INTEGER,
): { escaped: Uint8Array; consumed: number } {
  const out = new Uint8Array(Math.min(maxOut, data.length * 2));
  let n = 0;
  let i = 0;
  for (; i < data.length; i++) {
    const b = data[i]!;
    if (needsEscape(b)) {
      if (n + 2 > maxOut) break;
      out[n++] = ESCAPE;
      out[n++] = b ^ 0x20;
    } else {
      if (n + 1 > maxOut) break;
      out[n++] = b;
    }
  }
  return { escaped: out.subarray(0, n), consumed: i };
}

/** Undoes `}`-escaping; null when the data ends in a lone `}`. */
export function unescapeBinary(data: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE) {
      if (i + 1 >= data.length) return null;
      out[n++] = data[++i]! ^ 0x20;
    } else {
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/** `value` as `size` little-endian bytes (truncated to the size). */
export function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Reads `size` little-endian bytes at `offset` as an unsigned bigint. */
export function readLittleEndian(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}
