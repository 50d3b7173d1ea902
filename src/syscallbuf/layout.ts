// Syscall buffer: where its pieces live in every process that has one, and the byte layout of its header
// and records, shared with native/syscallbuf/syscallbuf.c (struct sb_header, struct sb_record).
//
// One region at a fixed address, the same at record and replay (ADDR_NO_RANDOMIZE puts the libraries
// within 2 GiB of it, so a patched site reaches its stub with a 32-bit jump):
//   BASE            the code (build/syscallbuf.bin), r-x
//   STUBS           one stub per patched syscall site, written by rewind, r-x
//   OFF_HEADER      a header with mode 0 (every call traced): the gs_base of tasks without a buffer;
//                   in its page the process's own bookkeeping (STUB_NEXT, the slots, PROC: below)
//   BUFFER          slot 0, the buffer of the process's first thread: header, own stack, records;
//                   slot k at BUFFER + k * BUFFER_SIZE, mapped at the first stop of the first thread
//                   that gets it and kept for the next one once its thread exits
export const SYSCALLBUF_BASE = 0x7fffc0000000n;
export const CODE_SIZE = 0x10000;
export const STUBS = SYSCALLBUF_BASE + 0x10000n;
export const STUBS_SIZE = 0x20000;
export const OFF_HEADER = SYSCALLBUF_BASE + 0x30000n;
/** In the off header's page: the next free byte of the stub area (kept in the process, so fork copies it). */
export const STUB_NEXT = OFF_HEADER + 0x800n;
/**
 * In the off header's page: which buffer slots are taken (a bitmap of MAX_SLOTS bits) and which are
 * mapped (the same), kept in the process so that fork copies them and replay, doing the same steps at
 * the same events, picks the same slot for the same thread.
 */
export const SLOTS_USED = OFF_HEADER + 0x810n;
export const SLOTS_MAPPED = OFF_HEADER + 0x820n;
export const MAX_SLOTS = 128;
/**
 * In the off header's page: the process's settings the buffer reads (struct sb_proc in syscallbuf.c):
 * u32 mode (the mode of every buffer of the process), u32 flags (PROC_THREAD_BUFFERS,
 * PROC_NO_WRITES), u32 count of watched files, u32 0, then MAX_WATCHED (u64 dev, u64 ino) pairs: the
 * files whose writes the buffer leaves to the tracer (record only); then at PROC_ECHO two bits per fd
 * below MAX_ECHO_FD: 1 / 2 when the fd is rewind's stdout / stderr, 3 when not known (the write goes to
 * the tracer), 0 otherwise — the recorder's model (src/record/fd-echo.ts), written before the process
 * runs after any change; all 3 until then.
 */
export const PROC = OFF_HEADER + 0x900n;
export const PROC_FLAGS = PROC + 4n;
export const PROC_NWATCH = PROC + 8n;
export const PROC_WATCH = PROC + 16n;
export const MAX_WATCHED = 64;
export const PROC_ECHO = PROC_WATCH + BigInt(16 * MAX_WATCHED);
export const MAX_ECHO_FD = 1024;
/** PROC_ECHO: the fd's writes go to the tracer (not known yet, or another task's echoed write waits). */
export const ECHO_TO_TRACER = 3;
/** PROC flags: threads and CLONE_VM children get a buffer of their own (trace format 7 on). */
export const PROC_THREAD_BUFFERS = 1;
/** PROC flags: writes are never buffered (more watched files than the table holds). */
export const PROC_NO_WRITES = 2;
/** Code, stubs and the off header: mapped read-only and executable once written. */
export const FIXED_SIZE = 0x31000;
export const BUFFER = SYSCALLBUF_BASE + 0x100000n;
export const BUFFER_SIZE = 0x100000;
export const REGION_SIZE = 0x200000;
const STACK_SIZE = 0x10000;
/** A buffer's record area (its stack's top: the stack grows down from there). */
export function recordsOf(buffer: bigint): bigint {
  return buffer + 0x1000n + BigInt(STACK_SIZE);
}
/** Slot k's buffer. */
export function slotAddress(k: number): bigint {
  return BUFFER + BigInt(k) * BigInt(BUFFER_SIZE);
}
/** The slot whose buffer starts at addr, or -1. */
export function slotOf(addr: bigint): number {
  if (addr < BUFFER || (addr - BUFFER) % BigInt(BUFFER_SIZE) !== 0n) return -1;
  const k = Number((addr - BUFFER) / BigInt(BUFFER_SIZE));
  return k < MAX_SLOTS ? k : -1;
}
export const CAPACITY = BUFFER_SIZE - 0x1000 - STACK_SIZE;

export const MAGIC = 0x62737772; // "rwsb"

export const enum Mode { Off = 0, Record = 1, Replay = 2 }

/** Header field offsets. */
export const H = {
  self: 0, magic: 8, mode: 12, stackTop: 16, records: 24, capacity: 32, used: 36, count: 40,
  consumed: 44, consumedBytes: 48, mismatchNr: 52, mismatchAt: 56, reserved: 60, held: 64, mismatchRan: 68,
  mismatchResult: 72,
} as const;
export const HEADER_SIZE = 80;

/** A header as the tracer writes it. */
export function headerBytes(self: bigint, mode: Mode, withBuffer: boolean): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(H.self, self, true);
  dv.setUint32(H.magic, MAGIC, true);
  dv.setUint32(H.mode, mode, true);
  if (withBuffer) {
    dv.setBigUint64(H.stackTop, recordsOf(self), true);
    dv.setBigUint64(H.records, recordsOf(self), true);
    dv.setUint32(H.capacity, CAPACITY, true);
  }
  dv.setInt32(H.mismatchNr, -1, true);
  return b;
}

/** One buffered call, decoded from the records (for dump and divergence reports). */
export interface BufferedCall {
  nr: number;
  args: bigint[];
  result: bigint;
  /** The memory the call wrote (none for an echoed write). */
  writes: { addr: bigint; len: number }[];
  /** 1 / 2: a write to rewind's stdout / stderr, whose `result` bytes replay re-emits (format 7 on); else 0. */
  echo: number;
}

const RECORD_HEADER = 72;

/** The fds closed by the successful close(2) records among `count` records. */
export function closedFds(data: Uint8Array, count: number): number[] {
  const out: number[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (let i = 0; i < count && at + RECORD_HEADER <= data.length; i++) {
    if (dv.getInt32(at + 4, true) === 3 && dv.getBigInt64(at + 56, true) === 0n) out.push(dv.getInt32(at + 8, true));
    at += dv.getUint32(at, true);
  }
  return out;
}

/**
 * Replay: the records as given to the buffer, each echoed write with one output added (addr 0, len =
 * its result, zeros) for the program's bytes, which the buffer copies there; null when none is echoed.
 */
export function withEchoRoom(data: Uint8Array, count: number): Uint8Array | null {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let extra = 0;
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(at + 68, true) !== 0) extra += 16 + Math.ceil(Number(dv.getBigInt64(at + 56, true)) / 8) * 8;
    at += dv.getUint32(at, true);
  }
  if (extra === 0) return null;
  const out = new Uint8Array(data.length + extra);
  const ov = new DataView(out.buffer);
  let from = 0;
  let to = 0;
  for (let i = 0; i < count; i++) {
    const size = dv.getUint32(from, true);
    out.set(data.subarray(from, from + size), to);
    if (dv.getUint32(from + 68, true) !== 0) {
      const len = Number(dv.getBigInt64(from + 56, true));
      const room = 16 + Math.ceil(len / 8) * 8;
      ov.setUint32(to, size + room, true);
      ov.setUint32(to + 64, 1, true);
      ov.setBigUint64(to + size + 8, BigInt(len), true);
      to += room;
    }
    from += size;
    to += size;
  }
  return out;
}

/**
 * Replay: where withEchoRoom(data, count) puts each echoed write's bytes (its one output's data), as
 * offsets from the start of what it returns, with their length; what echoedBytes finds there once the
 * program has written them. Lets the replayer read back only those bytes, not every record given.
 */
export function echoRooms(data: Uint8Array, count: number): { echo: number; at: number; len: number }[] {
  const out: { echo: number; at: number; len: number }[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let from = 0;
  let to = 0;
  for (let i = 0; i < count; i++) {
    const size = dv.getUint32(from, true);
    const echo = dv.getUint32(from + 68, true);
    if (echo !== 0) {
      const len = Number(dv.getBigInt64(from + 56, true));
      out.push({ echo, at: to + size + 16, len });
      to += 16 + Math.ceil(len / 8) * 8;
    }
    from += size;
    to += size;
  }
  return out;
}

/** Replay: the bytes of each echoed write among records given with withEchoRoom (its one output's data). */
export function echoedBytes(data: Uint8Array, count: number): { echo: number; bytes: Uint8Array }[] {
  const out: { echo: number; bytes: Uint8Array }[] = [];
  let at = 0;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) {
    const size = dv.getUint32(at, true);
    const echo = dv.getUint32(at + 68, true);
    if (echo !== 0 && dv.getUint32(at + 64, true) === 1) {
      const len = Number(dv.getBigUint64(at + RECORD_HEADER + 8, true));
      out.push({ echo, bytes: data.subarray(at + RECORD_HEADER + 16, at + RECORD_HEADER + 16 + len) });
    }
    at += size;
  }
  return out;
}

/** Whether any of `count` records is an echoed write. */
export function hasEcho(data: Uint8Array, count: number): boolean {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(at + 68, true) !== 0) return true;
    at += dv.getUint32(at, true);
  }
  return false;
}

/**
 * The memory ranges `count` records (as given at replay, echo room included) put in place: each
 * output's address and length, none for an echoed write (its one output is room for the program's
 * bytes, not memory of the program's).
 */
export function outputRanges(data: Uint8Array, count: number): { addr: bigint; len: number }[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: { addr: bigint; len: number }[] = [];
  let at = 0;
  for (let i = 0; i < count && at + RECORD_HEADER <= data.length; i++) {
    const size = dv.getUint32(at, true);
    if (size < RECORD_HEADER) break;
    if (dv.getUint32(at + 68, true) === 0) {
      let p = at + RECORD_HEADER;
      for (let k = dv.getUint32(at + 64, true); k > 0 && p + 16 <= at + size; k--) {
        const len = Number(dv.getBigUint64(p + 8, true));
        out.push({ addr: dv.getBigUint64(p, true), len });
        p += 16 + Math.ceil(len / 8) * 8;
      }
    }
    at += size;
  }
  return out;
}

/** Decodes `count` records; throws on bytes that are not records. */
export function decodeRecords(data: Uint8Array, count: number): BufferedCall[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: BufferedCall[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + RECORD_HEADER > data.length) throw new Error(`buffered record ${i} runs past the data`);
    const size = dv.getUint32(at, true);
    if (size < RECORD_HEADER || size % 8 !== 0 || at + size > data.length) throw new Error(`buffered record ${i} has a bad size (${size})`);
    const nr = dv.getInt32(at + 4, true);
    const args = [0, 1, 2, 3, 4, 5].map((k) => dv.getBigUint64(at + 8 + 8 * k, true));
    const result = dv.getBigInt64(at + 56, true);
    const nout = dv.getUint32(at + 64, true);
    const echo = dv.getUint32(at + 68, true);
    if (echo > 2 || (echo !== 0 && nout !== 0)) throw new Error(`buffered record ${i} has a bad echo field (${echo})`);
    const writes: { addr: bigint; len: number }[] = [];
    let p = at + RECORD_HEADER;
    for (let k = 0; k < nout; k++) {
      if (p + 16 > at + size) throw new Error(`buffered record ${i}: output ${k} runs past the record`);
      const addr = dv.getBigUint64(p, true);
      const len = Number(dv.getBigUint64(p + 8, true));
      p += 16 + Math.ceil(len / 8) * 8;
      if (p > at + size) throw new Error(`buffered record ${i}: output ${k} runs past the record`);
      writes.push({ addr, len });
    }
    out.push({ nr, args, result, writes, echo });
    at += size;
  }
  if (at !== data.length) throw new Error(`buffered records: ${data.length - at} bytes after the last record`);
  return out;
}
