// Trace layer: the layout of the memory the trace writer shares with its deflate thread
// (deflate-worker.ts, deflate-thread.ts): Int32 slots, then a BigInt64 file offset.

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

/** What the writer hands the thread: a chunk's raw frames to deflate and write, or (the thread being behind) the chunk the writer made itself, to write. */
export interface DeflateMessage {
  raw?: Uint8Array;
  chunk?: Uint8Array;
}
