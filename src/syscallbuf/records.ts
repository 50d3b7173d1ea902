// Syscall buffer: the byte format of its records (struct sb_record in native/syscallbuf/syscallbuf.c),
// as the trace's `buffered` events hold them and as the buffer takes them back at replay. A record:
//   u32 size (of the whole record, a multiple of 8), i32 nr, u64 args[6], i64 result, u32 nout,
//   u32 echo (0, or 1 / 2: a write to rewind's stdout / stderr), then nout outputs, each u64 addr,
//   u64 len and len bytes padded to 8.
// One walk over the records (`walk`) serves every reader below.

const SIZE = 0;
const NR = 4;
const ARGS = 8;
const RESULT = 56;
const NOUT = 64;
const ECHO = 68;
/** Bytes before a record's first output. */
export const RECORD_HEADER = 72;

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

/**
 * One record met by `walk`: where it starts in the data, and its fixed fields. The result is read
 * only when asked for: a BigInt made for each of the hundreds of thousands of records ls -lR's replay
 * walks (for echoed writes, which are few) cost more than the walk itself.
 */
class Met {
  at = 0;
  size = 0;
  nr = 0;
  nout = 0;
  echo = 0;
  constructor(readonly dv: DataView) {}
  get result(): bigint {
    return this.dv.getBigInt64(this.at + RESULT, true);
  }
}

/** One output of a record: its address, length and where its bytes start in the data. */
interface Output { addr: bigint; len: number; data: number }

/** Bytes an output of len bytes takes in a record. */
function outputSize(len: number): number {
  return 16 + Math.ceil(len / 8) * 8;
}

/**
 * The first `count` records of data, in order. Strict: bytes that are not records throw (the trace's
 * own records, decoded for a report). Otherwise the walk stops at the first that does not fit. One
 * object, updated in place, is yielded for every record (a flush of thousands of records is walked
 * at every event that takes them): copy what must outlive the step.
 */
function* walk(data: Uint8Array, count: number, strict = false): Generator<Met> {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const met = new Met(dv);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + RECORD_HEADER > data.length) {
      if (strict) throw new Error(`buffered record ${i} runs past the data`);
      return;
    }
    const size = dv.getUint32(at + SIZE, true);
    if (size < RECORD_HEADER || size % 8 !== 0 || at + size > data.length) {
      if (strict) throw new Error(`buffered record ${i} has a bad size (${size})`);
      return;
    }
    met.at = at;
    met.size = size;
    met.nr = dv.getInt32(at + NR, true);
    met.nout = dv.getUint32(at + NOUT, true);
    met.echo = dv.getUint32(at + ECHO, true);
    yield met;
    at += size;
  }
}

/** A record's outputs; a strict walk throws on one that runs past the record, else they stop there. */
function outputs(r: Met, strict = false): Output[] {
  const out: Output[] = [];
  let p = r.at + RECORD_HEADER;
  for (let k = 0; k < r.nout; k++) {
    const len = p + 16 <= r.at + r.size ? Number(r.dv.getBigUint64(p + 8, true)) : -1;
    if (len < 0 || p + outputSize(len) > r.at + r.size) {
      if (strict) throw new Error(`buffered record: output ${k} runs past the record`);
      break;
    }
    out.push({ addr: r.dv.getBigUint64(p, true), len, data: p + 16 });
    p += outputSize(len);
  }
  return out;
}

/**
 * The fds closed by the successful close(2) records among `count` records (stopping, as walk does, at
 * the first that does not fit). The recorder asks at every flush: a plain loop, not the generator,
 * which cost python3's recording ~8 ms of the tracee's CPU for its 35,000 records.
 */
export function closedFds(data: Uint8Array, count: number): number[] {
  const out: number[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0, at = 0; i < count && at + RECORD_HEADER <= data.length; i++) {
    const size = dv.getUint32(at + SIZE, true);
    if (size < RECORD_HEADER || size % 8 !== 0 || at + size > data.length) break;
    if (dv.getInt32(at + NR, true) === 3 && dv.getInt32(at + RESULT, true) === 0 && dv.getInt32(at + RESULT + 4, true) === 0) out.push(dv.getInt32(at + ARGS, true));
    at += size;
  }
  return out;
}

/** An echoed write among records: where it starts, its size, its echo (1 or 2) and its result. */
interface EchoedAt { at: number; size: number; echo: number; result: bigint }

/**
 * The echoed writes among the first `count` records of data, found by one walk and kept for the other
 * readers of the same records (replay asks whether there are any, gives them room, finds the room):
 * each walk over a batch of thousands of records cost ls -lR's replay ~10 ms.
 */
const echoesOf = new WeakMap<Uint8Array, { count: number; echoes: EchoedAt[]; end: number }>();

/** The echoed writes among the first `count` records, and where those records end. */
function echoesAndEnd(data: Uint8Array, count: number): { echoes: EchoedAt[]; end: number } {
  const known = echoesOf.get(data);
  if (known && known.count === count) return known;
  const echoes: EchoedAt[] = [];
  let end = 0;
  for (const r of walk(data, count)) {
    end = r.at + r.size;
    if (r.echo !== 0) echoes.push({ at: r.at, size: r.size, echo: r.echo, result: r.result });
  }
  const found = { count, echoes, end };
  echoesOf.set(data, found);
  return found;
}

function echoes(data: Uint8Array, count: number): EchoedAt[] {
  return echoesAndEnd(data, count).echoes;
}

/** Whether any of `count` records is an echoed write. */
export function hasEcho(data: Uint8Array, count: number): boolean {
  return echoes(data, count).length > 0;
}

/**
 * Replay: the records as given to the buffer, each echoed write with one output added (addr 0, len =
 * its result, zeros) for the program's bytes, which the buffer copies there; null when none is echoed.
 * Built in `scratch` when it is big enough (then the result is a view of it).
 */
export function withEchoRoom(data: Uint8Array, count: number, scratch?: Uint8Array): Uint8Array | null {
  const echoed = echoes(data, count);
  if (echoed.length === 0) return null;
  let extra = 0;
  for (const r of echoed) extra += outputSize(Number(r.result));
  const size = data.length + extra;
  // Into the caller's scratch when it is big enough (used and dropped before the next call): a fresh
  // MiB costs page faults, and gzip's replay gives a MiB batch with echoed writes 30 times.
  const out = scratch && scratch.length >= size ? scratch.subarray(0, size) : new Uint8Array(size);
  const ov = new DataView(out.buffer, out.byteOffset, out.length);
  // The records between two echoed writes are copied in one piece (ls -lR's batches hold thousands).
  let to = 0;
  let from = 0;
  for (const r of echoed) {
    const end = r.at + r.size;
    out.set(data.subarray(from, end), to);
    to += end - from;
    from = end;
    const room = outputSize(Number(r.result));
    out.fill(0, to, to + room);
    ov.setUint32(to - r.size + SIZE, r.size + room, true);
    ov.setUint32(to - r.size + NOUT, 1, true);
    ov.setBigUint64(to + 8, r.result, true);
    to += room;
  }
  out.set(data.subarray(from, echoesAndEnd(data, count).end), to);
  return out;
}

/**
 * Replay: where withEchoRoom(data, count) puts each echoed write's bytes (its one output's data), as
 * offsets from the start of what it returns, with their length; what echoedBytes finds there once the
 * program has written them. Lets the replayer read back only those bytes, not every record given.
 */
export function echoRooms(data: Uint8Array, count: number): { echo: number; at: number; len: number }[] {
  const out: { echo: number; at: number; len: number }[] = [];
  let added = 0;
  for (const r of echoes(data, count)) {
    const len = Number(r.result);
    out.push({ echo: r.echo, at: added + r.at + r.size + 16, len });
    added += outputSize(len);
  }
  return out;
}

/** Replay: the bytes of each echoed write among records given with withEchoRoom (its one output's data). */
export function echoedBytes(data: Uint8Array, count: number): { echo: number; bytes: Uint8Array }[] {
  const out: { echo: number; bytes: Uint8Array }[] = [];
  for (const r of walk(data, count)) {
    if (r.echo === 0 || r.nout !== 1) continue;
    const [o] = outputs(r);
    if (o) out.push({ echo: r.echo, bytes: data.subarray(o.data, o.data + o.len) });
  }
  return out;
}

/**
 * The memory ranges `count` records (as given at replay, echo room included) put in place: each
 * output's address and length, none for an echoed write (its one output is room for the program's
 * bytes, not memory of the program's).
 */
export function outputRanges(data: Uint8Array, count: number): { addr: bigint; len: number }[] {
  const out: { addr: bigint; len: number }[] = [];
  for (const r of walk(data, count)) if (r.echo === 0) for (const o of outputs(r)) out.push({ addr: o.addr, len: o.len });
  return out;
}

/** Decodes `count` records; throws on bytes that are not records. */
export function decodeRecords(data: Uint8Array, count: number): BufferedCall[] {
  const out: BufferedCall[] = [];
  let end = 0;
  let i = 0;
  for (const r of walk(data, count, true)) {
    if (r.echo > 2 || (r.echo !== 0 && r.nout !== 0)) throw new Error(`buffered record ${i} has a bad echo field (${r.echo})`);
    let writes: { addr: bigint; len: number }[];
    try {
      writes = outputs(r, true).map((o) => ({ addr: o.addr, len: o.len }));
    } catch (e) {
      throw new Error(`buffered record ${i}: ${(e as Error).message.replace(/^buffered record: /, '')}`);
    }
    const args = [0, 1, 2, 3, 4, 5].map((k) => r.dv.getBigUint64(r.at + ARGS + 8 * k, true));
    out.push({ nr: r.nr, args, result: r.result, writes, echo: r.echo });
    end = r.at + r.size;
    i++;
  }
  if (end !== data.length) throw new Error(`buffered records: ${data.length - end} bytes after the last record`);
  return out;
}
