// Trace layer: the layout of the memory the trace writer shares with its deflate thread
// (deflate-worker.ts, deflate-thread.ts): Int32 slots, then a BigInt64 file offset; and the messages
// the writer posts.

/** Int32 slot: chunks the thread has finished (written, or skipped after a failure). */
export const DONE = 0;
/** Int32 slot: 1 once a chunk failed (its text was posted on the port first). */
export const FAILED = 1;
/** Int32 slot: 1 once the thread runs. */
export const READY = 2;
/** Byte offset of the BigInt64: where the thread writes its next chunk in the events file. */
export const OFFSET_AT = 16;
/** Bytes of shared memory. */
export const SHARED_BYTES = 24;

/**
 * What the writer hands the thread, one message a chunk, in file order:
 * - `slot`, `length` (and `memory` when the slot is new or has grown): the chunk's raw frames, copied
 *   into the writer's shared transfer slot `slot` (a SharedArrayBuffer the thread keeps), to deflate
 *   and write; the writer reuses the slot only once the thread has finished this chunk;
 * - `raw`: a chunk's raw frames too big for a slot, in a buffer of their own, to deflate and write;
 * - `header`, `body`: a chunk the writer made itself (the thread being behind), to write.
 */
export interface DeflateMessage {
  raw?: Uint8Array;
  slot?: number;
  length?: number;
  memory?: SharedArrayBuffer;
  header?: Uint8Array;
  body?: Uint8Array;
}
