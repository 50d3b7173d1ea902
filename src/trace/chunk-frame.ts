// Trace layer: one events chunk as written to the file (header: u32 rawLen, u32 compressedLen, u32
// CRC-32 of the compressed bytes; then those bytes), made from a chunk's raw frames. The trace
// writer uses it for the chunks it writes itself and its deflate thread (deflate-worker.ts) for the
// rest, so both write the same bytes for the same frames (docs/TRACE_FORMAT.md, "events file").

import { createRequire } from 'node:module';
import { crc32 } from './buffer.js';
import { describeError, TraceError } from './errors.js';
import { storedDeflate } from './stored-deflate.js';

/** u32 rawLen + u32 compressedLen + u32 crc32. */
export const CHUNK_HEADER_SIZE = 12;

/** node:zlib, loaded by the first chunk deflated (a short recording stores its chunks: stored-deflate.ts). */
let zlib: typeof import('node:zlib') | undefined;

/** node:zlib, loaded on first use. */
export function loadZlib(): typeof import('node:zlib') {
  zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib;
}

/**
 * CRC-32 of data: zlib's (native, some 20 times faster than the JavaScript table loop) once node:zlib
 * is loaded and has it (Node ≥ 20.15), else buffer.ts's. Both compute the same IEEE CRC-32.
 */
export function fastCrc32(data: Uint8Array): number {
  const native = zlib?.crc32;
  return native ? native(data) >>> 0 : crc32(data);
}

/**
 * The chunk for raw (≥ 1 byte): stored blocks when `stored`, else raw deflate at level 1; header
 * then body, ready for one write.
 */
export function frameChunk(raw: Uint8Array, stored: boolean): Uint8Array {
  let compressed: Uint8Array;
  if (stored) {
    compressed = storedDeflate(raw);
  } else {
    try {
      const out = loadZlib().deflateRawSync(raw, { level: 1 });
      compressed = new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch (e) {
      throw new TraceError(`cannot compress a trace chunk: ${describeError(e)}`);
    }
  }
  const chunk = new Uint8Array(CHUNK_HEADER_SIZE + compressed.length);
  const hv = new DataView(chunk.buffer);
  hv.setUint32(0, raw.length, true);
  hv.setUint32(4, compressed.length, true);
  hv.setUint32(8, fastCrc32(compressed), true);
  chunk.set(compressed, CHUNK_HEADER_SIZE);
  return chunk;
}
