// Trace layer: SHA-256, the trace's hash (files.index, point and write-data hashes), from node:crypto
// (OpenSSL, SHA-NI where the CPU has it), loaded on first use.
// Loading node:crypto costs a few milliseconds of start-up, and most commands hash nothing: a
// recording whose file hashes all come from the cache, a replay that checks cached copies.
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';

let crypto: typeof import('node:crypto') | undefined;

/** A new SHA-256 hash object. */
export function sha256(): Hash {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256');
}
