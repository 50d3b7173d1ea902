// Trace layer: the trace writer's side of its deflate thread (deflate-worker.ts). Starting it costs
// the tracing thread about a millisecond (node's worker boots on its own thread). Handing it a chunk
// costs one copy of the chunk's raw bytes into a transfer slot: one of MAX_IN_FLIGHT
// SharedArrayBuffers made once and reused, so the copy writes to memory already mapped (a fresh
// buffer a chunk, as a plain copy or a transfer would need, costs a page fault a page: on this VM
// some 4 ms a MiB, more than deflating the compressible events of `ls -lR` saves). The thread is pinned to `cpu` when the tracing thread is
// pinned to one CPU (helper-thread.ts). Only the events file offset and three counters are shared; the
// failure text comes on a MessagePort read synchronously (receiveMessageOnPort), since the tracing
// thread rarely returns to node's event loop.

import type { MessagePort, Worker } from 'node:worker_threads';
import { frameChunk } from './chunk-frame.js';
import { TraceError } from './errors.js';
import { type DeflateMessage, DONE, FAILED, OFFSET_AT, READY, SHARED_BYTES } from './deflate-shared.js';
import { startHelperThread, workerThreads } from './helper-thread.js';


/**
 * When this many chunks wait for the thread (its CPU is busy with other work), post() deflates the
 * next one itself and hands the thread only the finished chunk to write, in its turn: the recorder
 * never goes slower than deflating on its own thread, and the chunks stay in order.
 */
export const MAX_IN_FLIGHT = 4;

/**
 * At most this many chunks (deflated or not) wait for the thread: past it, post() waits for one to be
 * written, so memory, and what a killed recorder loses, stay bounded even when the thread barely runs.
 */
export const MAX_QUEUED = 32;

/** Raw chunks wait in at most this many transfer slots (one is reused once its chunk is finished). */
const SLOTS = MAX_IN_FLIGHT;
/**
 * The most raw bytes a chunk holds but for one huge event: flushed at 1 MiB, plus the event that took
 * it past (a buffered batch of up to 1 MiB). A slot's first size, and the writer's pending chunk's.
 */
export const CHUNK_ROOM = 2 * 1024 * 1024 + 128 * 1024;
/** A raw chunk bigger than this (one huge event) goes in a buffer of its own instead of a slot. */
const SLOT_MAX = 16 * 1024 * 1024;

/** drain() gives up when the thread finishes no chunk for this long (it died: out of memory…). */
const STALL_MS = 120_000;

export class DeflateThread {
  private readonly worker: Worker;
  private readonly state: Int32Array;
  private readonly offsetCell: BigInt64Array;
  private readonly port: MessagePort;
  private posted = 0;
  /** The transfer slots (made when first needed, grown up to SLOT_MAX) and which chunk (its `posted` number) last used each. */
  private readonly slots: (SharedArrayBuffer | null)[] = new Array<SharedArrayBuffer | null>(SLOTS).fill(null);
  private readonly slotChunk: number[] = new Array<number>(SLOTS).fill(-1);
  /** Chunks handed over since the last drain(): the thread, not the writer, knows the offset then. */
  private sinceDrain = 0;
  private failure: string | null = null;

  private constructor(worker: Worker, shared: SharedArrayBuffer, port: MessagePort) {
    this.worker = worker;
    this.state = new Int32Array(shared);
    this.offsetCell = new BigInt64Array(shared, OFFSET_AT, 1);
    this.port = port;
  }

  /** Starts the thread writing to fd (the events file at path), on CPU `cpu` when this thread is pinned to one CPU and cpu ≥ 0. */
  static start(fd: number, path: string, cpu: number): DeflateThread {
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const { port1, port2 } = new (workerThreads().MessageChannel)();
    // Failures come on the port and through the shared FAILED flag; a thread that could not start
    // leaves READY 0, so its chunks are written by the writer itself.
    const worker = startHelperThread(new URL('./deflate-worker.js', import.meta.url), {
      workerData: { fd, path, shared, port: port2 },
      transferList: [port2],
    }, cpu);
    port1.unref();
    return new DeflateThread(worker, shared, port1);
  }

  /** Whether the thread runs (chunks handed to it are deflated at once). */
  get ready(): boolean {
    return Atomics.load(this.state, READY) === 1;
  }

  /** Whether it holds chunks not yet written. */
  get busy(): boolean {
    return Atomics.load(this.state, DONE) !== this.posted;
  }

  /** Where the thread's next chunk goes: read it only when not busy. */
  private get offset(): number {
    return Number(Atomics.load(this.offsetCell, 0));
  }

  /**
   * Hands the chunk over (a copy of raw, in a transfer slot). `offset` is the writer's end of the file:
   * where the chunk goes when this is the first since the last drain(); after it, the thread knows where.
   */
  post(raw: Uint8Array, offset: number): void {
    this.checkFailed();
    this.waitUntilAtMost(MAX_QUEUED - 1);
    if (this.sinceDrain === 0) Atomics.store(this.offsetCell, 0, BigInt(offset));
    const behind = this.posted - Atomics.load(this.state, DONE) >= MAX_IN_FLIGHT;
    let message: DeflateMessage;
    const transfer: ArrayBuffer[] = [];
    if (behind) {
      const { header, body } = frameChunk(raw, false);
      message = { header, body };
      transfer.push(header.buffer as ArrayBuffer);
      // zlib's own output buffer (≥ 64 KiB: never node's shared pool of small Buffers) moves to the
      // thread; a smaller one, which may be a view of that pool, is copied.
      if (body.buffer.byteLength >= 64 * 1024) transfer.push(body.buffer as ArrayBuffer);
    } else if (raw.length > SLOT_MAX) {
      const copy = raw.slice();
      message = { raw: copy };
      transfer.push(copy.buffer);
    } else {
      const k = this.freeSlot();
      // The chunk that used the slot last must be finished (it is: fewer than SLOTS wait, or this one
      // would be deflated here; waited for all the same).
      if (this.slotChunk[k]! >= 0) this.waitUntilAtMost(this.posted - this.slotChunk[k]! - 1);
      let memory = this.slots[k];
      const grown = memory === null || memory.byteLength < raw.length;
      if (grown) {
        memory = new SharedArrayBuffer(Math.max(CHUNK_ROOM, Math.ceil(raw.length / 0x100000) * 0x100000));
        this.slots[k] = memory;
      }
      new Uint8Array(memory!, 0, raw.length).set(raw);
      this.slotChunk[k] = this.posted;
      message = { slot: k, length: raw.length, ...(grown && { memory: memory! }) };
    }
    this.posted++;
    this.sinceDrain++;
    this.worker.postMessage(message, transfer);
  }

  /**
   * The slot for the next chunk: one already used whose chunk is finished, the first such (a thread
   * that keeps up then reuses one or two slots, whose memory is mapped: a slot's first use costs a page
   * fault a page, ~3 ms a MiB on a VM); else one never used; else the one holding the oldest chunk.
   */
  private freeSlot(): number {
    const done = Atomics.load(this.state, DONE);
    let oldest = 0;
    for (let k = 0; k < SLOTS; k++) {
      if (this.slots[k] !== null && this.slotChunk[k]! < done) return k;
      if (this.slotChunk[k]! < this.slotChunk[oldest]!) oldest = k;
    }
    const unused = this.slots.indexOf(null);
    return unused >= 0 ? unused : oldest;
  }

  /**
   * Waits until every chunk handed over is written; returns where the next chunk goes (`offset`, the
   * writer's own, when nothing was handed over since the last drain). TraceError on a failure.
   */
  drain(offset: number): number {
    this.waitUntilAtMost(0);
    this.checkFailed();
    if (this.sinceDrain === 0) return offset;
    this.sinceDrain = 0;
    return this.offset;
  }

  /** Ends the thread (after drain()). */
  stop(): void {
    void this.worker.terminate();
  }

  /** Waits until at most n chunks handed over are not yet written. TraceError on a failure. */
  private waitUntilAtMost(n: number): void {
    let last = Atomics.load(this.state, DONE);
    let since = Date.now();
    while (this.posted - last > n) {
      Atomics.wait(this.state, DONE, last, 1000);
      const now = Atomics.load(this.state, DONE);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.failure ??= `the deflate thread wrote nothing for ${STALL_MS / 1000} s`;
        this.posted = now; // nothing more will come
      }
    }
    this.checkFailed();
  }

  private checkFailed(): void {
    if (this.failure === null && Atomics.load(this.state, FAILED) === 1) {
      const msg = workerThreads().receiveMessageOnPort(this.port);
      this.failure = typeof msg?.message === 'string' ? msg.message : 'the deflate thread failed';
    }
    if (this.failure !== null) throw new TraceError(this.failure);
  }
}
