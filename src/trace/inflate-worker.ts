// Trace layer: a trace reader's read-ahead thread (a worker_thread started by inflate-thread.ts). From
// the position the reader last asked for, it reads the events file chunk after chunk, checks each
// (CRC-32, inflated length) and inflates it for the next free slot of the memory it shares with the
// reader (inflate-shared.ts): into the slot, or, for a chunk of 64 KiB or more, in zlib's own buffer
// moved through the port (`send`). The reader, which replays on its one CPU, only decodes. Anything it
// does not handle (the end marker, a short file, a chunk that fails a check or is too big for a slot)
// it leaves to the reader, which reads that chunk itself and says what is wrong with it; the thread
// then waits to be told where to go on. It runs at the lowest priority: the replay comes first.

import * as fs from 'node:fs';
import { setPriority } from 'node:os';
import { type MessagePort, workerData } from 'node:worker_threads';
import { CHUNK_HEADER_SIZE, fastCrc32, loadZlib } from './chunk-frame.js';
import {
  cellsOfSlot, GEN, joinPos, READY, S_GEN, S_NEXT_HI, S_NEXT_LO, S_POS_HI, S_POS_LO, S_RAW, S_STATE, SLOT_BYTES, SLOT_EMPTY,
  SLOT_FULL, SLOT_LEFT, SLOTS, splitPos, START_HI, START_LO, S_SENT, type PortChunk,
} from './inflate-shared.js';

interface Data { path: string; shared: SharedArrayBuffer; data: SharedArrayBuffer[]; port: MessagePort }

const { path, shared, data, port } = workerData as Data;
const cells = new Int32Array(shared);
const slots = data.map((b) => new Uint8Array(b));

try {
  setPriority(19);
} catch {
  // not allowed here: normal priority
}
const zlib = loadZlib();
const fd = fs.openSync(path, 'r');
Atomics.store(cells, READY, 1);
Atomics.notify(cells, READY);

function readAll(into: Uint8Array, at: number): boolean {
  for (let done = 0; done < into.length;) {
    const n = fs.readSync(fd, into, done, into.length - done, at + done);
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

/** The chunk at pos inflated, and where the next starts; null when the reader must read it itself. */
function readChunk(pos: number): { raw: Uint8Array; next: number } | null {
  const head = new Uint8Array(CHUNK_HEADER_SIZE);
  if (!readAll(head, pos)) return null;
  const hv = new DataView(head.buffer);
  const rawLen = hv.getUint32(0, true);
  const compLen = hv.getUint32(4, true);
  const crc = hv.getUint32(8, true);
  // Deflate at level 1 never grows a chunk by more than a few bytes per 64 KiB block.
  if (rawLen === 0 || compLen === 0 || rawLen > SLOT_BYTES || compLen > SLOT_BYTES + 64 * 1024) return null;
  const body = new Uint8Array(compLen);
  if (!readAll(body, pos + CHUNK_HEADER_SIZE) || fastCrc32(body) !== crc) return null;
  try {
    const out = zlib.inflateRawSync(body, { maxOutputLength: rawLen, chunkSize: Math.max(64 * 1024, rawLen) });
    if (out.length !== rawLen) return null;
    return { raw: out, next: pos + CHUNK_HEADER_SIZE + compLen };
  } catch {
    return null;
  }
}

/**
 * Hands the inflated bytes over through the port, their buffer transferred: they were written into
 * fresh memory on this thread's CPU, and a copy into the slot would have the reader copy them again
 * into fresh memory of its own, which a VM that faults each new page in at ~11 µs makes the larger
 * cost (gzip's replay: ~100 ms for 42 MiB). False when the buffer cannot be moved (zlib's pool): the
 * slot takes the bytes.
 */
function send(raw: Uint8Array, gen: number, pos: number): boolean {
  if (raw.byteLength < 64 * 1024) return false;
  const msg: PortChunk = { gen, pos, buf: raw.buffer as ArrayBuffer, off: raw.byteOffset, len: raw.byteLength };
  try {
    port.postMessage(msg, [msg.buf]);
  } catch {
    return false;
  }
  return msg.buf.byteLength === 0; // detached: moved, not copied
}

let gen = Atomics.load(cells, GEN);
let pos = joinPos(Atomics.load(cells, START_LO), Atomics.load(cells, START_HI));
let k = 0;
let stopped = false;
for (;;) {
  const g = Atomics.load(cells, GEN);
  if (g !== gen) {
    gen = g;
    pos = joinPos(Atomics.load(cells, START_LO), Atomics.load(cells, START_HI));
    k = 0;
    stopped = false;
  }
  if (stopped) {
    Atomics.wait(cells, GEN, gen, 1000);
    continue;
  }
  const base = cellsOfSlot(k);
  const state = Atomics.load(cells, base + S_STATE);
  if (state !== SLOT_EMPTY) {
    // The reader has not taken it yet (or it is from before a restart: the reader empties it).
    Atomics.wait(cells, base + S_STATE, state, 100);
    continue;
  }
  const chunk = readChunk(pos);
  if (Atomics.load(cells, GEN) !== gen) continue; // the reader went elsewhere meanwhile
  const [plo, phi] = splitPos(pos);
  Atomics.store(cells, base + S_POS_LO, plo);
  Atomics.store(cells, base + S_POS_HI, phi);
  Atomics.store(cells, base + S_GEN, gen);
  if (chunk) {
    const sent = send(chunk.raw, gen, pos);
    if (!sent) slots[k]!.set(chunk.raw);
    Atomics.store(cells, base + S_SENT, sent ? 1 : 0);
    const [nlo, nhi] = splitPos(chunk.next);
    Atomics.store(cells, base + S_RAW, chunk.raw.length);
    Atomics.store(cells, base + S_NEXT_LO, nlo);
    Atomics.store(cells, base + S_NEXT_HI, nhi);
    Atomics.store(cells, base + S_STATE, SLOT_FULL);
    pos = chunk.next;
    k = (k + 1) % SLOTS;
  } else {
    Atomics.store(cells, base + S_STATE, SLOT_LEFT);
    stopped = true;
  }
  Atomics.notify(cells, base + S_STATE);
}
