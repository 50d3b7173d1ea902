// Trace layer: the memory a trace reader shares with its read-ahead thread (inflate-worker.ts,
// inflate-thread.ts). A control block of Int32 cells, then per slot a block of Int32 cells and a data
// buffer of SLOT_BYTES. The thread fills the slots in turn with the inflated bodies of the chunks that
// follow the one the reader asked for (the bytes themselves in the slot's buffer, or sent through a
// message port, S_SENT); the reader takes them in the same turn.

/** Control cell: 1 once the thread runs. */
export const READY = 0;
/** Control cell: bumped by the reader each time it asks for another place to read from (`START`). */
export const GEN = 1;
/** Control cells 2-3: where to read from (a byte position, as two u32 halves: low, high). */
export const START_LO = 2;
export const START_HI = 3;
export const CONTROL_CELLS = 4;

/** Slots of chunks read ahead. */
export const SLOTS = 3;
/** A slot's data buffer: a chunk whose raw bytes are more is left to the reader (SLOT_TOO_BIG). */
export const SLOT_BYTES = 4 * 1024 * 1024;

/** Per slot, its cells (Int32): state, generation, raw length, position low/high, next low/high. */
export const SLOT_CELLS = 8;
export const S_STATE = 0;
export const S_GEN = 1;
export const S_RAW = 2;
export const S_POS_LO = 3;
export const S_POS_HI = 4;
export const S_NEXT_LO = 5;
export const S_NEXT_HI = 6;
/** 1: the slot's bytes were sent through the port instead (a transferred buffer: `PortChunk`), 0: they are in its data buffer. */
export const S_SENT = 7;

/**
 * A chunk's inflated bytes handed over whole through the thread's port: the buffer zlib made on the
 * thread's CPU, transferred (not copied), so its fresh pages were faulted in there and the reader takes
 * them as they are. Marked with the generation and position of its slot.
 */
export interface PortChunk { gen: number; pos: number; buf: ArrayBuffer; off: number; len: number }

/** Slot states. */
export const SLOT_EMPTY = 0;
/** Holds the chunk at its position, inflated and checked (CRC, length): the reader copies it out. */
export const SLOT_FULL = 1;
/**
 * The chunk at its position is not one the thread handles (the end marker, a short file, a chunk
 * that fails a check, one too big for a slot): the reader reads it itself, and says what is wrong.
 */
export const SLOT_LEFT = 2;

export function cellsOfSlot(k: number): number {
  return CONTROL_CELLS + k * SLOT_CELLS;
}

export const SHARED_CELLS = CONTROL_CELLS + SLOTS * SLOT_CELLS;

export function splitPos(pos: number): [number, number] {
  return [pos % 2 ** 32 | 0, Math.floor(pos / 2 ** 32) | 0];
}

export function joinPos(lo: number, hi: number): number {
  return (lo >>> 0) + (hi >>> 0) * 2 ** 32;
}
