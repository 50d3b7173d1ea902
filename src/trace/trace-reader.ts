// Trace layer: reads a recording directory. Events are streamed one chunk at a time (memory bounded by
// one chunk). A file that stops early (recorder killed) reads as every complete chunk then 'truncated';
// anything else wrong with a complete chunk is a TraceError "corrupt trace …".

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError, TraceError } from './errors.js';
import type { TraceEvent } from './events.js';
import { decodeChunk } from './frames.js';
import { checkVersion, EVENTS_FILE, FILES_DIR, readMeta, type TraceMeta } from './meta.js';
import { fastCrc32, loadZlib } from './chunk-frame.js';
import {
  CHUNK_HEADER_SIZE,
  EVENTS_HEADER_SIZE,
  EVENTS_MAGIC,
  MAX_CHUNK_COMPRESSED,
  MAX_CHUNK_RAW,
} from './trace-writer.js';
import { storedInflate } from './stored-deflate.js';
import { pinnedCpu } from './helper-thread.js';
import { ReadAhead } from './inflate-thread.js';

/** An events file smaller than this is read without a read-ahead thread (its start costs more). */
const READ_AHEAD_FROM = 4 * 1024 * 1024;

export type EndState = 'complete' | 'truncated' | 'unknown';

export class TraceReader {
  readonly dir: string;
  readonly meta: TraceMeta;
  readonly filesDir: string;
  private readonly eventsPath: string;
  /** False when the events file is shorter than its header (recorder killed while creating it). */
  private readonly headerComplete: boolean;
  private state: EndState = 'unknown';
  /** Where each chunk read so far starts (byte position) and the index of its first event. */
  private readonly chunks: { pos: number; firstEvent: number }[] = [{ pos: EVENTS_HEADER_SIZE, firstEvent: 0 }];
  /** The compressed bodies are read into this (readChunk), reused once they are inflated. */
  private bodyScratch: Uint8Array | null = null;
  /** The thread inflating the chunks ahead (readAhead()), or null. */
  private ahead: ReadAhead | null = null;
  /** readAhead()'s CPU chooser, until the thread starts: once the reading thread is pinned to one CPU (the replay's). */
  private aheadCpu: ((pinned: number) => number | null) | null = null;

  private constructor(dir: string, meta: TraceMeta, headerComplete: boolean) {
    this.dir = dir;
    this.meta = meta;
    this.filesDir = path.join(dir, FILES_DIR);
    this.eventsPath = path.join(dir, EVENTS_FILE);
    this.headerComplete = headerComplete;
  }

  /** Reads meta.json and checks the events file header (magic, version). TraceError otherwise. */
  static open(dir: string): TraceReader {
    const meta = readMeta(dir);
    const eventsPath = path.join(dir, EVENTS_FILE);
    const header = new Uint8Array(EVENTS_HEADER_SIZE);
    let got = 0;
    let fd: number;
    try {
      fd = fs.openSync(eventsPath, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TraceError(`corrupt trace ${dir}: it has no ${EVENTS_FILE} file`);
      throw new TraceError(`cannot open ${eventsPath}: ${describeError(e)}`);
    }
    try {
      got = readFully(fd, header, 0, EVENTS_HEADER_SIZE, 0);
    } catch (e) {
      throw new TraceError(`cannot read ${eventsPath}: ${describeError(e)}`);
    } finally {
      fs.closeSync(fd);
    }
    // A short header is a recording killed at its very start: fine as long as what is there matches.
    const magicLen = Math.min(got, EVENTS_MAGIC.length);
    for (let i = 0; i < magicLen; i++) {
      if (header[i] !== EVENTS_MAGIC[i]) throw new TraceError(`corrupt trace ${dir}: ${EVENTS_FILE} does not start with the rewind events magic`);
    }
    if (got >= 12) {
      const version = new DataView(header.buffer).getUint32(8, true);
      checkVersion(dir, version, 'events file format');
      if (version < 1) throw new TraceError(`corrupt trace ${dir}: ${EVENTS_FILE} has an invalid version ${version}`);
      if (version !== meta.version) {
        throw new TraceError(`corrupt trace ${dir}: ${EVENTS_FILE} has version ${version} but meta.json says ${meta.version}`);
      }
    }
    if (got >= 16) {
      const flags = new DataView(header.buffer).getUint32(12, true);
      if (flags !== 0) throw new TraceError(`corrupt trace ${dir}: ${EVENTS_FILE} has unknown flags 0x${flags.toString(16)}`);
    }
    return new TraceReader(dir, meta, got === EVENTS_HEADER_SIZE);
  }

  /**
   * Inflates the chunks ahead of the one being read on a thread of its own (inflate-thread.ts), when
   * the events file is big enough to be worth the thread's start: for a replay with a second CPU free.
   * The thread starts once the reading thread is pinned to one CPU, on the CPU `cpuFor` gives for it.
   */
  readAhead(cpuFor: (pinned: number) => number | null): void {
    if (this.ahead || !this.headerComplete) return;
    try {
      if (fs.statSync(this.eventsPath).size < READ_AHEAD_FROM) return;
    } catch {
      return;
    }
    this.aheadCpu = cpuFor;
  }

  /** Whether the read-ahead thread runs, how many chunks it gave, and whether it holds the next one already. */
  get readAheadState(): { running: boolean; taken: number; sent: number; nextReady: boolean } {
    return { running: this.ahead?.running ?? false, taken: this.ahead?.taken ?? 0, sent: this.ahead?.sent ?? 0, nextReady: this.ahead?.nextReady ?? false };
  }

  /** The read-ahead thread, started on the other CPU once the reading thread is pinned to one. */
  private readAheadThread(): ReadAhead | null {
    if (this.aheadCpu && !this.ahead) {
      const here = pinnedCpu();
      const there = here < 0 ? null : this.aheadCpu(here);
      if (there !== null) {
        this.aheadCpu = null;
        if (there >= 0) this.ahead = ReadAhead.start(this.eventsPath, there);
      }
    }
    return this.ahead;
  }

  /** After an iteration has finished: 'complete' if the end marker was reached, 'truncated' if the file ended early. */
  get endState(): EndState {
    return this.state;
  }

  /**
   * Streams the events. Reads, checks and inflates one chunk at a time; each call starts a fresh
   * iteration. The file stays open until the iteration ends (run to the end, or break / return()).
   */
  events(from = 0): IterableIterator<TraceEvent> {
    return this.iterate(from);
  }

  /**
   * Events from index `from` on. Starts at the nearest chunk already seen at or before it (replay
   * restarting from a checkpoint reads only from there), skipping the events before `from`.
   */
  private *iterate(from: number): Generator<TraceEvent, void, undefined> {
    if (!this.headerComplete) {
      this.state = 'truncated';
      return;
    }
    let fd: number;
    try {
      fd = fs.openSync(this.eventsPath, 'r');
    } catch (e) {
      throw new TraceError(`cannot open ${this.eventsPath}: ${describeError(e)}`);
    }
    try {
      let index = 0;
      while (index + 1 < this.chunks.length && this.chunks[index + 1]!.firstEvent <= from) index++;
      let { pos, firstEvent } = this.chunks[index]!;
      for (; ; index++) {
        const chunk = this.readChunk(fd, index, pos);
        if (chunk === 'complete' || chunk === 'truncated') {
          this.state = chunk;
          return;
        }
        pos = chunk.next;
        const next = firstEvent + chunk.events.length;
        if (index + 1 === this.chunks.length) this.chunks.push({ pos, firstEvent: next });
        if (next > from) yield* from > firstEvent ? chunk.events.slice(from - firstEvent) : chunk.events;
        firstEvent = next;
      }
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // closing a read-only fd cannot lose data
      }
    }
  }

  /**
   * Reads the chunk at byte pos: its events and where the next chunk starts, 'complete' at the end
   * marker, 'truncated' when the file ends before the chunk does. TraceError when it is corrupt.
   */
  private readChunk(fd: number, index: number, pos: number): { events: TraceEvent[]; next: number } | 'complete' | 'truncated' {
    const ahead = this.readAheadThread();
    let chunk = ahead?.take(pos) ?? null;
    if (!chunk) {
      const read = this.rawChunk(fd, index, pos);
      if (typeof read !== 'object') return read;
      ahead?.readOn(read.next);
      chunk = read;
    }
    try {
      return { events: decodeChunk(chunk.raw, this.meta.version), next: chunk.next };
    } catch (e) {
      throw new TraceError(`corrupt trace ${this.dir}: events chunk ${index} at byte ${pos} is malformed: ${describeError(e)}`);
    }
  }

  /** The raw bytes of the chunk at pos (checked: CRC-32, length) and where the next starts, or the end state. */
  private rawChunk(fd: number, index: number, pos: number): { raw: Uint8Array; next: number } | 'complete' | 'truncated' {
    const corrupt = (what: string): TraceError =>
      new TraceError(`corrupt trace ${this.dir}: events chunk ${index} at byte ${pos} ${what}`);

    const head = new Uint8Array(CHUNK_HEADER_SIZE);
    if (this.read(fd, head, CHUNK_HEADER_SIZE, pos) < CHUNK_HEADER_SIZE) return 'truncated';
    const hv = new DataView(head.buffer);
    const rawLen = hv.getUint32(0, true);
    const compLen = hv.getUint32(4, true);
    const crc = hv.getUint32(8, true);
    const bodyAt = pos + CHUNK_HEADER_SIZE;

    if (rawLen === 0 && compLen === 0) {
      if (crc !== 0) throw corrupt('is an end marker with a non-zero checksum');
      if (this.read(fd, head, 1, bodyAt) !== 0) throw corrupt('is an end marker followed by more data');
      return 'complete';
    }
    if (rawLen === 0 || compLen === 0) throw corrupt(`has an impossible length (raw ${rawLen}, compressed ${compLen})`);
    if (rawLen > MAX_CHUNK_RAW) throw corrupt(`claims ${rawLen} raw bytes, more than the ${MAX_CHUNK_RAW} limit`);
    if (compLen > MAX_CHUNK_COMPRESSED) throw corrupt(`claims ${compLen} compressed bytes, more than the ${MAX_CHUNK_COMPRESSED} limit`);

    // Read into the scratch of the chunks before when it is big enough: zlib inflates into memory of
    // its own, so the body is free again at once (fresh memory costs a page fault a page).
    const scratch = this.bodyScratch && this.bodyScratch.length >= compLen ? this.bodyScratch : new Uint8Array(compLen);
    this.bodyScratch = scratch;
    const body = scratch.subarray(0, compLen);
    if (this.read(fd, body, compLen, bodyAt) < compLen) return 'truncated';
    if ((body[0]! & 0x06) !== 0) loadZlib(); // a compressed block: zlib inflates it, and checks it faster
    if (fastCrc32(body) !== crc) throw corrupt('fails its checksum');

    // A chunk of stored blocks (a short recording's: stored-deflate.ts) is read without node:zlib;
    // anything else, or stored blocks that do not add up, is zlib's to inflate or to refuse.
    let raw = storedInflate(body, rawLen); // a copy: the body is free again
    if (raw === null) {
      try {
        // One output buffer of the chunk's size: zlib's default 16 KiB pieces are joined by a copy.
        const out = loadZlib().inflateRawSync(body, { maxOutputLength: rawLen, chunkSize: Math.max(64 * 1024, rawLen) });
        raw = new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (e) {
        throw corrupt(`does not inflate (${describeError(e)})`);
      }
    }
    if (raw.length !== rawLen) throw corrupt(`inflates to ${raw.length} bytes, not the ${rawLen} its header says`);
    return { raw, next: bodyAt + compLen };
  }

  private read(fd: number, into: Uint8Array, len: number, position: number): number {
    try {
      return readFully(fd, into, 0, len, position);
    } catch (e) {
      throw new TraceError(`cannot read ${this.eventsPath}: ${describeError(e)}`);
    }
  }

  /** Total size in bytes of the trace directory (events + files/ + meta.json), symlinks not followed. */
  sizeBytes(): number {
    return dirSize(this.dir);
  }
}

/** Reads until len bytes are in or the file ends; returns how many were read. */
function readFully(fd: number, into: Uint8Array, offset: number, len: number, position: number): number {
  let done = 0;
  while (done < len) {
    const n = fs.readSync(fd, into, offset + done, len - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function dirSize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new TraceError(`cannot list ${dir}: ${describeError(e)}`);
  }
  for (const ent of entries) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      total += dirSize(p);
    } else {
      try {
        total += fs.lstatSync(p).size;
      } catch {
        // removed while we looked: it takes no space
      }
    }
  }
  return total;
}
