// Trace layer: a trace reader's side of its read-ahead thread (inflate-worker.ts). Replay runs the
// program and itself on one CPU; inflating the events took ls -lR's replay 70 of its ~310 ms and
// gzip's 56 of ~520, while the other CPU idled. The thread inflates the chunks ahead of the one the
// reader asked for into shared slots (inflate-shared.ts); the reader takes each in turn (the bytes
// moved through the thread's port for a chunk of 64 KiB or more, else a copy out of its slot) and
// decodes it. Whatever the thread cannot give at once (not started yet, behind, another
// place asked for) the reader reads itself as before, so the events are the same either way; the
// thread is then sent on from the chunk after. Started only for a big events file when a second CPU
// looks free (the replay command decides); at the lowest priority, and it never keeps rewind alive.

import type { MessagePort } from 'node:worker_threads';
import { startHelperThread, workerThreads } from './helper-thread.js';
import {
  cellsOfSlot, GEN, joinPos, READY, S_GEN, S_NEXT_HI, S_NEXT_LO, S_POS_HI, S_POS_LO, S_RAW, S_STATE, SHARED_CELLS, SLOT_BYTES,
  SLOT_EMPTY, SLOT_FULL, SLOTS, splitPos, START_HI, START_LO, S_SENT, type PortChunk,
} from './inflate-shared.js';

/** How long the reader waits for a chunk the thread is on before reading it itself. */
const WAIT_MS = 20;
/** After this many waits in a row that came to nothing (the thread gets no CPU), the reader stops asking it. */
const GIVE_UP_AFTER = 3;

export class ReadAhead {
  private readonly cells: Int32Array;
  private readonly slots: Uint8Array[];
  private gen = 0;
  /** Where the thread's next chunk (in slot `expect`) starts; -1: it is not following the reader. */
  private wantPos = -1;
  private expect = 0;
  private misses = 0;
  private off = false;
  /** Chunks the reader took from the thread. */
  taken = 0;
  /** Of those, the chunks whose bytes came through the port (PortChunk). */
  sent = 0;

  private constructor(cells: Int32Array, slots: Uint8Array[], private readonly port: MessagePort) {
    this.cells = cells;
    this.slots = slots;
  }

  /**
   * Starts the thread for the events file at path, on CPU `cpu` (the calling thread is pinned to
   * another: helper-thread.ts); null when node cannot start one.
   */
  static start(path: string, cpu: number): ReadAhead | null {
    const shared = new SharedArrayBuffer(SHARED_CELLS * 4);
    const data = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT_BYTES));
    const { port1, port2 } = new (workerThreads().MessageChannel)();
    try {
      startHelperThread(new URL('./inflate-worker.js', import.meta.url), { workerData: { path, shared, data, port: port2 }, transferList: [port2] }, cpu);
    } catch {
      return null;
    }
    port1.unref();
    return new ReadAhead(new Int32Array(shared), data.map((b) => new Uint8Array(b)), port1);
  }

  /** Whether the thread runs. */
  get running(): boolean {
    return Atomics.load(this.cells, READY) === 1;
  }

  /**
   * Whether the chunk the reader takes next is in its slot already: a reader that can afford to wait
   * for the thread (its tests, on a machine whose other work starves a nice-19 thread) asks this.
   */
  get nextReady(): boolean {
    if (this.off || this.wantPos < 0) return false;
    const base = cellsOfSlot(this.expect);
    return Atomics.load(this.cells, base + S_STATE) === SLOT_FULL && Atomics.load(this.cells, base + S_GEN) === this.gen &&
      joinPos(Atomics.load(this.cells, base + S_POS_LO), Atomics.load(this.cells, base + S_POS_HI)) === this.wantPos;
  }

  /** The raw bytes of the chunk at pos and where the next one starts, when the thread has them; else null. */
  take(pos: number): { raw: Uint8Array; next: number } | null {
    if (this.off || pos !== this.wantPos || Atomics.load(this.cells, READY) !== 1) return null;
    const base = cellsOfSlot(this.expect);
    let waited = false;
    for (;;) {
      const state = Atomics.load(this.cells, base + S_STATE);
      if (state !== SLOT_EMPTY && Atomics.load(this.cells, base + S_GEN) !== this.gen) {
        this.empty(base); // from before a restart
        continue;
      }
      if (state === SLOT_EMPTY) {
        if (waited) {
          if (++this.misses >= GIVE_UP_AFTER) this.off = true;
          this.wantPos = -1;
          return null;
        }
        Atomics.wait(this.cells, base + S_STATE, SLOT_EMPTY, WAIT_MS);
        waited = true;
        continue;
      }
      const at = joinPos(Atomics.load(this.cells, base + S_POS_LO), Atomics.load(this.cells, base + S_POS_HI));
      if (state !== SLOT_FULL || at !== pos) {
        this.wantPos = -1; // left to the reader (or not the chunk asked for): it reads this one itself
        return null;
      }
      const raw = Atomics.load(this.cells, base + S_SENT) === 1 ? this.received(at) : this.slots[this.expect]!.slice(0, Atomics.load(this.cells, base + S_RAW));
      if (!raw) {
        this.wantPos = -1; // cannot happen: the thread posts the bytes before it marks the slot full
        return null;
      }
      this.misses = 0;
      const next = joinPos(Atomics.load(this.cells, base + S_NEXT_LO), Atomics.load(this.cells, base + S_NEXT_HI));
      this.empty(base);
      this.expect = (this.expect + 1) % SLOTS;
      this.wantPos = next;
      this.taken++;
      return { raw, next };
    }
  }

  /** The reader read the chunk before `next` itself: the thread goes on from `next` unless it is there already. */
  readOn(next: number): void {
    if (this.off || next === this.wantPos) return;
    // Emptied first: what the thread puts in a slot from now until it sees the new generation is
    // marked with the old one, and emptied again when the reader comes to it.
    for (let k = 0; k < SLOTS; k++) this.empty(cellsOfSlot(k));
    this.gen++;
    const [lo, hi] = splitPos(next);
    Atomics.store(this.cells, START_LO, lo);
    Atomics.store(this.cells, START_HI, hi);
    Atomics.store(this.cells, GEN, this.gen);
    Atomics.notify(this.cells, GEN);
    this.expect = 0;
    this.wantPos = next;
  }

  /**
   * The bytes the thread sent for the chunk at pos of this generation: the port's messages come in
   * the order the thread filled the slots; those of an earlier generation (before the reader went
   * elsewhere) are dropped on the way.
   */
  private received(pos: number): Uint8Array | null {
    const { receiveMessageOnPort } = workerThreads();
    for (;;) {
      const m = receiveMessageOnPort(this.port)?.message as PortChunk | undefined;
      if (!m) return null;
      if (m.gen === this.gen && m.pos === pos) {
        this.sent++;
        return new Uint8Array(m.buf, m.off, m.len);
      }
    }
  }

  private empty(base: number): void {
    Atomics.store(this.cells, base + S_STATE, SLOT_EMPTY);
    Atomics.notify(this.cells, base + S_STATE);
  }
}
