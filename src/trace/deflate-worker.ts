// Trace layer: the recorder's deflate thread (a worker_thread started by trace-writer.ts once a
// recording's chunks are deflated rather than stored). It takes the raw frames of each chunk the
// writer hands it, in order (in a transfer slot it shares with the writer: deflate-shared.ts), makes
// the chunk (chunk-frame.ts: the bytes the writer would have written itself; or takes the chunk the
// writer made, when it was behind), and writes it to the events file at the end of what was written
// before, at once: no chunk waits here for anything but the deflate of the chunks before it. The
// tracing thread never waits for it except at flush()/finish()/close() (DeflateThread.drain), and so
// runs its tracees while this thread compresses, on another CPU when there is one.
//
// Shared state (an Int32Array over workerData.shared, see deflate-thread.ts): [DONE] chunks finished
// (written, or skipped after a failure; a finished chunk's slot is the writer's again), [FAILED] 1
// once a write or deflate failed, [READY] 1 once this thread runs; a BigInt64Array at byte OFFSET_AT:
// where the next chunk goes. A failure is posted on workerData.port (its text, naming workerData.path)
// before FAILED is set; later chunks are not written (the file must not get a chunk after a gap).

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { describeError, TraceError } from './errors.js';
import { type Chunk, frameChunk, loadZlib, writeChunk } from './chunk-frame.js';
import { type DeflateMessage, DONE, FAILED, OFFSET_AT, READY } from './deflate-shared.js';

interface Data { fd: number; path: string; shared: SharedArrayBuffer; port: MessagePort }

const { fd, path, shared, port } = workerData as Data;
const state = new Int32Array(shared);
const offset = new BigInt64Array(shared, OFFSET_AT, 1);

// The lowest priority (this thread only): anything else that wants its CPU goes first, the kernel's
// own work for the recorded program included (sqlite3's fdatasyncs: with the thread at normal
// priority from the recording's start, its bench workload was ~5% slower).
try {
  setPriority(19);
} catch {
  // not allowed here: normal priority
}
loadZlib();
Atomics.store(state, READY, 1);
Atomics.notify(state, READY);

/** The transfer slots, as the writer made them (a message brings a slot's memory when it is new or has grown). */
const slots: SharedArrayBuffer[] = [];

parentPort!.on('message', (m: DeflateMessage) => {
  if (m.memory) slots[m.slot!] = m.memory;
  if (Atomics.load(state, FAILED) === 0) {
    try {
      const chunk: Chunk = m.header && m.body
        ? { header: m.header, body: m.body }
        : frameChunk(m.raw ?? new Uint8Array(slots[m.slot!]!, 0, m.length!), false);
      let at = Number(Atomics.load(offset, 0));
      try {
        writeChunk(fd, chunk, at, (n) => {
          at += n;
        });
      } finally {
        Atomics.store(offset, 0, BigInt(at));
      }
    } catch (e) {
      port.postMessage(e instanceof TraceError ? e.message : `cannot write ${path}: ${describeError(e)}`);
      Atomics.store(state, FAILED, 1);
    }
  }
  Atomics.add(state, DONE, 1);
  Atomics.notify(state, DONE);
});
