// Trace layer: one events chunk as written to the file (header: u32 rawLen, u32 compressedLen, u32
// CRC-32 of the compressed bytes; then those bytes), made from a chunk's raw frames. The trace
// writer uses it for the chunks it writes itself and its deflate thread (deflate-worker.ts) for the
// rest, so both write the same bytes for the same frames (docs/TRACE_FORMAT.md, "events file").
//
// The header and the body stay apart and are written one after the other (writeChunk): joining them
// would copy the body into a new buffer, and fresh memory costs a page fault a page, which on a VM
// (some 20 µs each here) costs more than the copy: ~4 ms a MiB.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { native } from '../native/addon.js';
import { describeError, TraceError } from './errors.js';
import { storedDeflate } from './stored-deflate.js';

/** u32 rawLen + u32 compressedLen + u32 crc32. */
export const CHUNK_HEADER_SIZE = 12;

/** A chunk as written: its header, then its body (the raw deflate stream). */
export interface Chunk {
  header: Uint8Array;
  body: Uint8Array;
}

/** node:zlib, loaded by the first chunk deflated (a short recording stores its chunks: stored-deflate.ts). */
let zlib: typeof import('node:zlib') | undefined;

/** node:zlib, loaded on first use. */
export function loadZlib(): typeof import('node:zlib') {
  zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib;
}

/**
 * CRC-32 of data: zlib's once node:zlib is loaded and has it (Node ≥ 20.15), else the addon's (a
 * short recording, which stores its chunks, never loads zlib). Both are native, some 20 times faster
 * than buffer.ts's table loop (the format's definition, and the tests' reference), and compute the
 * same IEEE CRC-32.
 */
export function fastCrc32(data: Uint8Array): number {
  const z = zlib?.crc32;
  return z ? z(data) >>> 0 : native.crc32(data);
}

/**
 * The chunk for raw (≥ 1 byte): stored blocks when `stored`, else raw deflate at level 1. Deflate's
 * output buffer is as big as raw and a little more, so node hands it back as it is rather than
 * joining 16 KiB pieces into a new buffer (its default).
 */
export function frameChunk(raw: Uint8Array, stored: boolean): Chunk {
  let body: Uint8Array;
  if (stored) {
    body = storedDeflate(raw);
  } else {
    try {
      const out = loadZlib().deflateRawSync(raw, { level: 1, chunkSize: Math.max(64 * 1024, raw.length + (raw.length >>> 10) + 1024) });
      body = new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch (e) {
      throw new TraceError(`cannot compress a trace chunk: ${describeError(e)}`);
    }
  }
  const header = new Uint8Array(CHUNK_HEADER_SIZE);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, raw.length, true);
  hv.setUint32(4, body.length, true);
  hv.setUint32(8, fastCrc32(body), true);
  return { header, body };
}

/**
 * Writes all of data to fd at `at`. `written` is told the bytes of each write(2) as it completes (so
 * after a failure the caller knows how far the file got). Throws what fs.writeSync throws.
 */
export function writeAt(fd: number, data: Uint8Array, at: number, written: (n: number) => void): void {
  let done = 0;
  while (done < data.length) {
    const n = fs.writeSync(fd, data, done, data.length - done, at + done);
    done += n;
    written(n);
  }
}

/** Writes the chunk (header, then body) to fd at `at`; `written` as for writeAt. */
export function writeChunk(fd: number, chunk: Chunk, at: number, written: (n: number) => void): void {
  writeAt(fd, chunk.header, at, written);
  writeAt(fd, chunk.body, at + chunk.header.length, written);
}
