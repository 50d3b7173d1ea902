// Trace layer: writes a recording directory. Events are encoded into one pending chunk in memory; the
// chunk is deflated and written when it reaches 1 MiB or 100 ms have passed since the last flush — at
// an append, or when the recorder, waiting for its tracees, calls flushIfDue() — so memory never grows
// with the trace and at most ~100 ms of events are lost when the recorder is killed. The first chunks
// are stored (stored-deflate.ts) and written at once; once chunks are deflated, a writer created with
// a deflate thread hands each to it (deflate-thread.ts), which deflates and writes it at once on
// another CPU while the recorder goes on. flush(), finish() and close() wait for it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { monotonicMs } from '../native/clock.js';
import { ByteWriter } from './buffer.js';
import { type Chunk, CHUNK_HEADER_SIZE, frameChunk, writeAt, writeChunk } from './chunk-frame.js';
import { CHUNK_ROOM, DeflateThread } from './deflate-thread.js';
import { describeError, TraceError } from './errors.js';
import type { TraceEvent } from './events.js';
import { encodeEvent, RegsHistory } from './frames.js';
import {
  EVENTS_FILE,
  FILES_DIR,
  TRACE_FORMAT_NAME,
  TRACE_FORMAT_VERSION,
  type TraceMeta,
  type TraceMetaEnd,
  type TraceMetaStart,
  writeMetaAtomic,
} from './meta.js';
import { STORED_UP_TO } from './stored-deflate.js';

export { CHUNK_HEADER_SIZE } from './chunk-frame.js';

/** How a TraceWriter writes its deflated chunks. */
export interface WriterOptions {
  /**
   * Deflate and write them on a thread of their own (deflate-thread.ts), pinned to this CPU (-1: not
   * pinned) when the recorder is pinned; absent: on the caller's thread, between its appends. The
   * thread starts once the trace is halfway to its first deflated chunk and deflating has cost the
   * caller's thread `afterMs` milliseconds (default 0).
   */
  deflateThread?: { cpu: number; afterMs?: number };
}

/** "RWNDEVT\0": the first 8 bytes of every events file. */
export const EVENTS_MAGIC = new Uint8Array([0x52, 0x57, 0x4e, 0x44, 0x45, 0x56, 0x54, 0x00]);
/** magic (8) + u32 version + u32 flags. */
export const EVENTS_HEADER_SIZE = 16;
/** Largest raw (inflated) chunk a reader accepts; the writer never produces a bigger one. */
export const MAX_CHUNK_RAW = 256 * 1024 * 1024;
/** Largest compressed chunk a reader accepts (deflate can grow incompressible data slightly). */
export const MAX_CHUNK_COMPRESSED = MAX_CHUNK_RAW + 1024 * 1024;

/** A pending chunk is flushed once it holds this many raw bytes… */
export const FLUSH_BYTES = 1024 * 1024;
/** …or this long after the last flush (at an append, or at flushIfDue while the recorder waits). */
export const FLUSH_MS = 100;

/** Builds the 16-byte events file header. */
export function eventsHeader(version = TRACE_FORMAT_VERSION, flags = 0): Uint8Array {
  const h = new Uint8Array(EVENTS_HEADER_SIZE);
  h.set(EVENTS_MAGIC, 0);
  const v = new DataView(h.buffer);
  v.setUint32(8, version, true);
  v.setUint32(12, flags, true);
  return h;
}

export class TraceWriter {
  readonly dir: string;
  readonly filesDir: string;
  private readonly eventsPath: string;
  private readonly metaStart: TraceMetaStart;
  private fd: number | null;
  /**
   * Room for a chunk's worth of events and a full syscall buffer's batch after them, from the start:
   * grown from a smaller one, the new buffer's pages are faulted in and the old one's thrown away
   * (on a VM a fault costs ~10 µs). Untouched pages of it cost nothing.
   */
  private readonly pending = new ByteWriter(CHUNK_ROOM);
  private readonly history = new RegsHistory();
  private pendingEvents = 0;
  /** Milliseconds this thread spent deflating chunks (the deflate thread starts after its `afterMs`). */
  private deflateMs = 0;
  /** monotonicMs() of the last flush. */
  private lastFlush = monotonicMs();
  private count = 0;
  private chunks = 0;
  private offset = 0; // where the next write goes in the events file
  private rawWritten = 0; // raw (inflated) bytes of the chunks written
  private finished = false;
  private readonly options: WriterOptions;
  /** Started at the first deflated chunk, with options.deflateThread. */
  private thread: DeflateThread | null = null;
  private threadChunks = 0;

  private constructor(dir: string, meta: TraceMetaStart, fd: number, options: WriterOptions) {
    this.options = options;
    this.dir = dir;
    this.filesDir = path.join(dir, FILES_DIR);
    this.eventsPath = path.join(dir, EVENTS_FILE);
    this.metaStart = meta;
    this.fd = fd;
  }

  /**
   * Creates dir (and its parents), dir/files/, dir/meta.json (end: null) and dir/events with its
   * header. Refuses an existing non-empty directory or a path that is not a directory.
   */
  static create(dir: string, meta: TraceMetaStart, options: WriterOptions = {}): TraceWriter {
    const abs = path.resolve(dir);
    let existing: string[] | null = null;
    try {
      const st = fs.statSync(abs);
      if (!st.isDirectory()) throw new TraceError(`cannot record into ${dir}: it exists and is not a directory`);
      existing = fs.readdirSync(abs);
    } catch (e) {
      if (e instanceof TraceError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new TraceError(`cannot record into ${dir}: ${describeError(e)}`);
    }
    if (existing !== null && existing.length > 0) {
      throw new TraceError(`cannot record into ${dir}: the directory exists and is not empty`);
    }
    let fd: number;
    try {
      fs.mkdirSync(abs, { recursive: true });
      fs.mkdirSync(path.join(abs, FILES_DIR));
      const full: TraceMeta = { format: TRACE_FORMAT_NAME, version: TRACE_FORMAT_VERSION, ...pickStart(meta), end: null };
      writeMetaAtomic(abs, full);
      fd = fs.openSync(path.join(abs, EVENTS_FILE), 'wx', 0o644);
    } catch (e) {
      if (e instanceof TraceError) throw e;
      throw new TraceError(`cannot create trace ${dir}: ${describeError(e)}`);
    }
    const w = new TraceWriter(dir, meta, fd, options);
    w.writeAll(eventsHeader());
    return w;
  }

  /** Events appended so far (including those still pending). */
  get eventCount(): number {
    return this.count;
  }

  /** Raw bytes in the pending (not yet written) chunk. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Whether the deflate thread runs (it takes every deflated chunk from then on). */
  get deflateThreadRunning(): boolean {
    return this.thread?.ready ?? false;
  }

  /** Data chunks handed to the deflate thread so far (written by it, or on their way). */
  get threadChunkCount(): number {
    return this.threadChunks;
  }

  /** Data chunks written so far (not counting the end marker). */
  get chunkCount(): number {
    return this.chunks;
  }

  /** Encodes ev into the pending chunk, flushing at 1 MiB or 100 ms since the last flush. */
  append(ev: TraceEvent): void {
    this.checkOpen('append to');
    const before = this.pending.length;
    try {
      encodeEvent(this.pending, this.history, ev);
    } catch (e) {
      // The half-written frame is cut off; the register history may already include it, so the
      // events before it go out as their own chunk and the next one starts afresh.
      this.pending.truncate(before);
      this.writePending();
      throw e instanceof TraceError ? e : new TraceError(`cannot encode event: ${describeError(e)}`);
    }
    if (this.pending.length > MAX_CHUNK_RAW) {
      if (this.pendingEvents === 0) {
        const size = this.pending.length;
        this.pending.truncate(0);
        this.pending.reset(FLUSH_BYTES * 4);
        this.history.reset();
        throw new TraceError(`cannot record a ${ev.kind} event of ${size} bytes: the limit is ${MAX_CHUNK_RAW} bytes`);
      }
      // Too big together with what is pending: write those, then this event in a chunk of its own.
      this.pending.truncate(before);
      this.writePending();
      this.append(ev);
      return;
    }
    this.pendingEvents++;
    this.count++;
    if (this.pending.length >= FLUSH_BYTES || monotonicMs() - this.lastFlush >= FLUSH_MS) this.writePending();
  }

  /** Milliseconds until pending events are due to be written (Infinity when nothing is pending). */
  msUntilFlush(): number {
    if (this.pendingEvents === 0 || this.fd === null || this.finished) return Infinity;
    return Math.max(0, FLUSH_MS - (monotonicMs() - this.lastFlush));
  }

  /** Writes the pending events if they have waited FLUSH_MS (the recorder calls it while it waits). */
  flushIfDue(): void {
    if (this.msUntilFlush() === 0) {
      this.checkOpen('flush');
      this.writePending();
    }
  }

  /**
   * Writes the pending chunk and waits until every chunk is written (the deflate thread's too). When
   * this returns the bytes are in the kernel's page cache: they survive the recorder being killed (not
   * a machine crash; there is no fsync).
   */
  flush(): void {
    this.checkOpen('flush');
    this.writePending();
    this.drain();
  }

  /**
   * Makes the pending chunk (stored while the trace's raw bytes are within STORED_UP_TO, else
   * deflated) and writes it, or hands it to the deflate thread, which writes it as soon as it has
   * deflated it and the chunks before it.
   */
  private writePending(): void {
    this.lastFlush = monotonicMs();
    if (this.pending.length === 0) {
      this.history.reset(); // nothing written depends on it (append may have cut a half-encoded frame)
      return;
    }
    const raw = this.pending.bytes();
    const stored = this.rawWritten + raw.length <= STORED_UP_TO;
    // Started halfway to the first deflated chunk, once deflating has cost this thread `afterMs`
    // (record: 60 ms): node takes some 80 ms of CPU to
    // start a worker (on its own CPU), and a short recording (sqlite3's 400 transactions: 10% slower
    // with the thread from its first 128 KiB) would pay that and then wait for it at the end. The
    // chunks are deflated here until it runs.
    const wanted = this.options.deflateThread;
    if (wanted && this.thread === null && this.fd !== null && this.rawWritten + raw.length > STORED_UP_TO / 2 && this.deflateMs >= (wanted.afterMs ?? 0)) {
      try {
        this.thread = DeflateThread.start(this.fd, this.eventsPath, wanted.cpu);
      } catch {
        this.options.deflateThread = undefined; // no thread: the chunks are deflated here
      }
    }
    this.rawWritten += raw.length;
    // The thread takes a chunk once it runs, and every chunk after it: the file is written in order.
    const thread = !stored && this.thread !== null && (this.thread.busy || this.thread.ready) ? this.thread : null;
    let chunk: Chunk | null = null;
    try {
      if (thread) {
        thread.post(raw, this.offset);
        this.threadChunks++;
      } else if (stored) chunk = frameChunk(raw, true);
      else {
        const t = monotonicMs();
        chunk = frameChunk(raw, false);
        this.deflateMs += monotonicMs() - t;
      }
    } catch (e) {
      this.resetPending();
      throw e instanceof TraceError ? new TraceError(`${e.message} (trace ${this.dir})`) : e;
    }
    // Reset before writing: a failed write must not leave events to be written a second time.
    this.resetPending();
    if (chunk) this.writeParts(chunk);
    this.chunks++;
  }

  private resetPending(): void {
    this.pending.reset(FLUSH_BYTES * 4);
    this.history.reset();
    this.pendingEvents = 0;
  }

  /** Waits for the deflate thread to write what it holds; the file's end is then the writer's again. */
  private drain(): void {
    if (this.thread) this.offset = this.thread.drain(this.offset);
  }

  /**
   * Flushes, writes the end-of-stream marker, closes the events file and rewrites meta.json (through a
   * temporary file and a rename) with `end` filled in.
   */
  finish(end: TraceMetaEnd): void {
    this.checkOpen('finish');
    this.flush();
    this.writeAll(new Uint8Array(CHUNK_HEADER_SIZE)); // rawLen 0, compressedLen 0, crc 0: end of stream
    this.finished = true;
    this.closeFd();
    writeMetaAtomic(this.dir, {
      format: TRACE_FORMAT_NAME,
      version: TRACE_FORMAT_VERSION,
      ...pickStart(this.metaStart),
      end: { ...end },
    });
  }

  /**
   * Flushes what is pending and closes the events file without an end marker or meta.json update:
   * the trace then reads as truncated, as if the recorder had been killed. For giving up on a
   * recording after an error; does nothing once finished or closed.
   */
  close(): void {
    if (this.fd === null) return;
    try {
      if (!this.finished) this.flush();
    } finally {
      this.finished = true;
      this.closeFd();
    }
  }

  private checkOpen(what: string): void {
    if (this.fd === null || this.finished) throw new TraceError(`cannot ${what} trace ${this.dir}: the writer is closed`);
  }

  /** Closes the events file, once the deflate thread has written what it holds (it writes to the same fd). */
  private closeFd(): void {
    const thread = this.thread;
    this.thread = null;
    if (thread) {
      try {
        thread.drain(this.offset);
      } finally {
        thread.stop();
        this.closeOnly();
      }
      return;
    }
    this.closeOnly();
  }

  private closeOnly(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    try {
      fs.closeSync(fd);
    } catch (e) {
      throw new TraceError(`cannot close ${this.eventsPath}: ${describeError(e)}`);
    }
  }

  /** Writes data at the end of the file (the offset moves by what was written, even on a failure). */
  private writeAll(data: Uint8Array): void {
    this.write((fd, advance) => writeAt(fd, data, this.offset, advance));
  }

  /** Writes the chunk at the end of the file, as writeAll. */
  private writeParts(chunk: Chunk): void {
    this.write((fd, advance) => writeChunk(fd, chunk, this.offset, advance));
  }

  private write(how: (fd: number, advance: (n: number) => void) => void): void {
    const fd = this.fd;
    if (fd === null) throw new TraceError(`cannot write trace ${this.dir}: the writer is closed`);
    try {
      how(fd, (n) => {
        this.offset += n;
      });
    } catch (e) {
      throw new TraceError(`cannot write ${this.eventsPath}: ${describeError(e)}`);
    }
  }
}

/** Only the TraceMetaStart fields, in a fixed order (callers may pass objects with more). */
function pickStart(m: TraceMetaStart): TraceMetaStart {
  return {
    command: [...m.command],
    exe: m.exe,
    cwd: m.cwd,
    startTime: m.startTime,
    hostname: m.hostname,
    kernel: m.kernel,
    rewindVersion: m.rewindVersion,
    cpu: m.cpu,
    cpuidFaulting: m.cpuidFaulting,
    ...(m.machine ? { machine: m.machine } : {}),
    ...(m.patched && { patched: [...m.patched] }),
    ...(m.cpuFeatures && { cpuFeatures: m.cpuFeatures }),
    ...(m.syscallBuffer && { syscallBuffer: true }),
    ...(m.limits && { limits: structuredClone(m.limits) }),
    ...(m.cpuidTable && { cpuidTable: [...m.cpuidTable] }),
  };
}
