// Trace layer: the binary frame of each TraceEvent kind. Encoder and decoder of a kind sit side by side
// so their field order can be checked at a glance; docs/TRACE_FORMAT.md describes the same layout.
//
// A frame is: u8 tag, then the kind's fields. Counts, lengths, tids and signal numbers are unsigned
// LEB128 varints; syscall numbers and exit codes are zigzag varints (signed); bigints are fixed 8-byte
// little-endian (u64, or i64 where signed); byte strings and UTF-8 strings are a varint length then the
// bytes. Registers are delta-encoded against the previous registers of the same tid in the same chunk
// (RegsHistory, reset at every chunk so that each chunk decodes on its own).

import { ByteReader, ByteWriter } from './buffer.js';
import { describeError, TraceError } from './errors.js';
import { TRACE_FORMAT_VERSION } from './meta.js';
import {
  type ExecEvent,
  type ExecImage,
  type ImageLayout,
  type ImageMapping,
  ImageKind,
  type EnterEvent,
  type ExitEvent,
  type NewTaskEvent,
  type PointMemory,
  type PreemptEvent,
  type FileRef,
  type InsnEvent,
  type PatchEvent,
  type BufferedEvent,
  type MemWrite,
  type Regs,
  type SignalEvent,
  type SyscallEvent,
  type TraceEvent,
  SignalPlacement,
  SyscallMode,
  TrappedInsn,
  isStubSite,
} from './events.js';

/** Registers in a Regs (struct user_regs_struct). */
export const REG_COUNT = 27;

/** The u8 that starts each frame. 0 is never used (a zeroed region is not a run of valid frames). */
export const enum FrameTag {
  Exec = 1,
  Syscall = 2,
  Signal = 3,
  Insn = 4,
  Exit = 5,
  Enter = 6,
  NewTask = 7,
  Preempt = 8,
  Patch = 9,
  Buffered = 10,
}

// Registers are compared and copied as pairs of u32 halves through a Uint32Array view (no bigint
// allocation per register). The halves are in host order, so this needs a little-endian host, which
// every x86-64 machine is.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('rewind trace encoding needs a little-endian host');
}

/**
 * The last registers seen for each tid within the current chunk, as 54 u32 halves.
 * The writer and the reader each keep one and reset it at every chunk boundary.
 */
export class RegsHistory {
  private readonly last = new Map<number, Uint32Array>();

  reset(): void {
    this.last.clear();
  }

  /** The stored halves for tid (all zero the first time), owned by the history. */
  slot(tid: number): Uint32Array {
    let s = this.last.get(tid);
    if (!s) {
      s = new Uint32Array(REG_COUNT * 2);
      this.last.set(tid, s);
    }
    return s;
  }
}

// ---------------------------------------------------------------------------------------------------
// Regs: u32 mask (bit i set = register i changed), then for each set bit, low to high, the new u64.

function encodeRegs(w: ByteWriter, h: RegsHistory, tid: number, regs: Regs): void {
  if (!(regs instanceof BigUint64Array) || regs.length !== REG_COUNT) {
    throw new RangeError(`regs must be a BigUint64Array of ${REG_COUNT} registers`);
  }
  const cur = new Uint32Array(regs.buffer, regs.byteOffset, REG_COUNT * 2);
  const prev = h.slot(tid);
  let mask = 0;
  for (let i = 0, j = 0; i < REG_COUNT; i++, j += 2) {
    if (cur[j] !== prev[j] || cur[j + 1] !== prev[j + 1]) mask |= 1 << i;
  }
  w.u32(mask);
  for (let i = 0, j = 0; i < REG_COUNT; i++, j += 2) {
    if (mask & (1 << i)) {
      w.u32(cur[j]!);
      w.u32(cur[j + 1]!);
    }
  }
  prev.set(cur);
}

function decodeRegs(r: ByteReader, h: RegsHistory, tid: number): Regs {
  const at = r.pos;
  const mask = r.u32();
  if (mask >>> REG_COUNT !== 0) {
    throw new TraceError(`register mask 0x${mask.toString(16)} at offset ${at} names registers beyond the ${REG_COUNT}`);
  }
  const prev = h.slot(tid);
  const out = new Uint32Array(REG_COUNT * 2);
  out.set(prev);
  for (let i = 0, j = 0; i < REG_COUNT; i++, j += 2) {
    if (mask & (1 << i)) {
      out[j] = r.u32();
      out[j + 1] = r.u32();
    }
  }
  prev.set(out);
  return new BigUint64Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------------
// FileRef: string path, string copy, u64 dev, u64 ino, u64 size, i64 mtimeNs.

function encodeFileRef(w: ByteWriter, f: FileRef): void {
  w.string(f.path);
  w.string(f.copy);
  w.u64(f.dev);
  w.u64(f.ino);
  w.u64(f.size);
  w.i64(f.mtimeNs);
}

function decodeFileRef(r: ByteReader): FileRef {
  const path = r.string('file path');
  const copy = r.string('file copy name');
  const dev = r.u64();
  const ino = r.u64();
  const size = r.u64();
  const mtimeNs = r.i64();
  return { path, copy, dev, ino, size, mtimeNs };
}

/** u8 0 = null, 1 = a FileRef follows. */
function encodeOptFileRef(w: ByteWriter, f: FileRef | null): void {
  if (f === null) {
    w.u8(0);
  } else {
    w.u8(1);
    encodeFileRef(w, f);
  }
}

function decodeOptFileRef(r: ByteReader): FileRef | null {
  const at = r.pos;
  const present = r.u8();
  if (present === 0) return null;
  if (present === 1) return decodeFileRef(r);
  throw new TraceError(`file presence byte at offset ${at} is ${present}, not 0 or 1`);
}

function checkU8Enum(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} ${v} is not in 0..${max}`);
  return v;
}

function decodeU8Enum(r: ByteReader, max: number, what: string): number {
  const at = r.pos;
  const v = r.u8();
  if (v > max) throw new TraceError(`${what} ${v} at offset ${at} is not in 0..${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------
// exec: tid, path, argc, argv…, envc, envp…, exe FileRef, optional interp FileRef, u64 stackAddr,
//       blob stack, regs, varint newTid (version 2 on).

function encodeExec(w: ByteWriter, h: RegsHistory, e: ExecEvent): void {
  w.u8(FrameTag.Exec);
  w.varint(e.tid);
  w.string(e.path);
  w.varint(e.argv.length);
  for (const a of e.argv) w.string(a);
  w.varint(e.envp.length);
  for (const v of e.envp) w.string(v);
  encodeFileRef(w, e.exe);
  encodeOptFileRef(w, e.interp);
  w.u64(e.stackAddr);
  w.blob(e.stack);
  encodeRegs(w, h, e.tid, e.regs);
  w.varint(e.newTid);
  encodeImage(w, e.image ?? null);
}

function decodeExec(r: ByteReader, h: RegsHistory, version: number): ExecEvent {
  const tid = r.varint();
  const path = r.string('exec path');
  const argc = r.count('argv count');
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) argv.push(r.string('argv string'));
  const envc = r.count('envp count');
  const envp: string[] = [];
  for (let i = 0; i < envc; i++) envp.push(r.string('envp string'));
  const exe = decodeFileRef(r);
  const interp = decodeOptFileRef(r);
  const stackAddr = r.u64();
  const stack = r.blob('stack');
  const regs = decodeRegs(r, h, tid);
  const newTid = version >= 2 ? r.varint() : tid;
  const image = version >= 5 ? decodeImage(r) : null;
  return { kind: 'exec', tid, path, argv, envp, exe, interp, stackAddr, stack, regs, newTid, ...(image && { image }) };
}

// image (version 5 on): u8 0 (none) or 1, then varint n, n × (u64 start, u64 end, u8 prot, u8 kind,
//   optional FileRef, u64 offset, string name, varint pieces, pieces × (u64 addr, blob data)),
//   11 × u64 layout, blob auxv.

const LAYOUT_FIELDS = ['startCode', 'endCode', 'startData', 'endData', 'startBrk', 'brk', 'startStack',
  'argStart', 'argEnd', 'envStart', 'envEnd'] as const;

function encodeImage(w: ByteWriter, img: ExecImage | null): void {
  if (!img) {
    w.u8(0);
    return;
  }
  w.u8(1);
  w.varint(img.mappings.length);
  for (const m of img.mappings) {
    w.u64(m.start);
    w.u64(m.end);
    w.u8(checkU8Enum(m.prot, 7, 'image mapping prot'));
    w.u8(checkU8Enum(m.kind, ImageKind.Vsyscall, 'image mapping kind'));
    encodeOptFileRef(w, m.file);
    w.u64(m.offset);
    w.string(m.name);
    w.varint(m.pieces.length);
    for (const p of m.pieces) {
      w.u64(p.addr);
      w.blob(p.data);
    }
  }
  for (const f of LAYOUT_FIELDS) w.u64(img.layout[f]);
  w.blob(img.auxv);
}

function decodeImage(r: ByteReader): ExecImage | null {
  if (decodeU8Enum(r, 1, 'image flag') === 0) return null;
  const n = r.count('image mapping count', 34);
  const mappings: ImageMapping[] = [];
  for (let i = 0; i < n; i++) {
    const start = r.u64();
    const end = r.u64();
    const prot = decodeU8Enum(r, 7, 'image mapping prot');
    const kind = decodeU8Enum(r, ImageKind.Vsyscall, 'image mapping kind') as ImageKind;
    const file = decodeOptFileRef(r);
    const offset = r.u64();
    const name = r.string('image mapping name');
    const np = r.count('image piece count', 9);
    const pieces: MemWrite[] = [];
    for (let j = 0; j < np; j++) {
      const addr = r.u64();
      pieces.push({ addr, data: r.blob('image piece') });
    }
    mappings.push({ start, end, prot, kind, file, offset, name, pieces });
  }
  const layout = {} as ImageLayout;
  for (const f of LAYOUT_FIELDS) layout[f] = r.u64();
  const auxv = r.blob('auxv');
  return { mappings, layout, auxv };
}

// ---------------------------------------------------------------------------------------------------
// syscall: tid, svarint nr, u8 mode, regs, i64 result, write count, (u64 addr, blob data)…,
//          optional FileRef, u8 echo, u8 flags (bit 0: blob output follows; bit 1, version 3 on: u64
//          data hash follows; version 4 on: bit 2 fileWritable, bit 3 a file change follows) [blob
//          output] [u64 dataHash] [u64 dev, u64 ino, u64 offset, blob data, u64 size].

function encodeSyscall(w: ByteWriter, h: RegsHistory, e: SyscallEvent): void {
  w.u8(FrameTag.Syscall);
  w.varint(e.tid);
  w.svarint(e.nr);
  w.u8(checkU8Enum(e.mode, SyscallMode.Executed, 'syscall mode'));
  encodeRegs(w, h, e.tid, e.regs);
  w.i64(e.result);
  w.varint(e.writes.length);
  for (const m of e.writes) {
    w.u64(m.addr);
    w.blob(m.data);
  }
  encodeOptFileRef(w, e.file);
  w.u8(checkU8Enum(e.echo, 2, 'echo'));
  w.u8((e.output ? 1 : 0) | (e.dataHash !== undefined ? 2 : 0) | (e.fileWritable ? 4 : 0) | (e.fileChange ? 8 : 0));
  if (e.output) w.blob(e.output);
  if (e.dataHash !== undefined) w.u64(e.dataHash);
  if (e.fileChange) {
    const c = e.fileChange;
    w.u64(c.dev);
    w.u64(c.ino);
    w.u64(c.offset);
    w.blob(c.data);
    w.u64(c.size);
  }
}

function decodeSyscall(r: ByteReader, h: RegsHistory, version: number): SyscallEvent {
  const tid = r.varint();
  const nr = r.svarint();
  const mode = decodeU8Enum(r, SyscallMode.Executed, 'syscall mode') as SyscallMode;
  const regs = decodeRegs(r, h, tid);
  const result = r.i64();
  const n = r.count('memory write count', 9);
  const writes: MemWrite[] = [];
  for (let i = 0; i < n; i++) {
    const addr = r.u64();
    const data = r.blob('memory write data');
    writes.push({ addr, data });
  }
  const file = decodeOptFileRef(r);
  const echo = decodeU8Enum(r, 2, 'echo');
  const ev: SyscallEvent = { kind: 'syscall', tid, nr, mode, regs, result, writes, file, echo };
  const flags = decodeU8Enum(r, version >= 4 ? 15 : version >= 3 ? 3 : 1, 'output flags');
  if (flags & 1) ev.output = r.blob('output');
  if (flags & 2) ev.dataHash = r.u64();
  if (flags & 4) ev.fileWritable = true;
  if (flags & 8) {
    const dev = r.u64();
    const ino = r.u64();
    const offset = r.u64();
    const data = r.blob('file change data');
    ev.fileChange = { dev, ino, offset, data, size: r.u64() };
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------------
// point identity (version 2 on): u8 identity (0 registers only, 1 registers + memory hash, 2 (version
// 11 on) registers + memory hash + block hashes), then if 1 or 2: varint range count, (u64 addr,
// varint len)…, u64 hash; then if 2: varint block count, u64 hash of each 4 KiB block.

/** The u8 saying how a point between landmarks is identified. */
export const enum PointIdentity {
  Regs = 0,
  RegsAndMemory = 1,
  RegsMemoryAndBlocks = 2,
}

function encodePoint(w: ByteWriter, p: PointMemory | undefined): void {
  if (!p) {
    w.u8(PointIdentity.Regs);
    return;
  }
  w.u8(p.blocks ? PointIdentity.RegsMemoryAndBlocks : PointIdentity.RegsAndMemory);
  w.varint(p.ranges.length);
  for (const m of p.ranges) {
    w.u64(m.addr);
    w.varint(m.len);
  }
  w.u64(p.hash);
  if (p.blocks) {
    w.varint(p.blocks.length);
    for (const b of p.blocks) w.u64(b);
  }
}

function decodePoint(r: ByteReader, version: number): PointMemory | undefined {
  const identity = decodeU8Enum(r, version >= 11 ? PointIdentity.RegsMemoryAndBlocks : PointIdentity.RegsAndMemory, 'point identity');
  if (identity === PointIdentity.Regs) return undefined;
  const n = r.count('memory range count', 9);
  const ranges = [];
  for (let i = 0; i < n; i++) {
    const addr = r.u64();
    const len = r.varint();
    ranges.push({ addr, len });
  }
  const point: PointMemory = { ranges, hash: r.u64() };
  if (identity === PointIdentity.RegsMemoryAndBlocks) {
    const count = r.count('block hash count', 8);
    const blocks: bigint[] = [];
    for (let i = 0; i < count; i++) blocks.push(r.u64());
    point.blocks = blocks;
  }
  return point;
}

// ---------------------------------------------------------------------------------------------------
// signal: tid, signo, u8 placement, blob siginfo, regs, [point identity: instruction placement,
//         version 2 on].

function encodeSignal(w: ByteWriter, h: RegsHistory, e: SignalEvent): void {
  w.u8(FrameTag.Signal);
  w.varint(e.tid);
  w.varint(e.signo);
  w.u8(checkU8Enum(e.placement, SignalPlacement.Instruction, 'signal placement'));
  w.blob(e.siginfo);
  encodeRegs(w, h, e.tid, e.regs);
  if (e.placement === SignalPlacement.Instruction) encodePoint(w, e.point);
}

function decodeSignal(r: ByteReader, h: RegsHistory, version: number): SignalEvent {
  const tid = r.varint();
  const signo = r.varint();
  const placement = decodeU8Enum(r, SignalPlacement.Instruction, 'signal placement') as SignalPlacement;
  const siginfo = r.blob('siginfo');
  const regs = decodeRegs(r, h, tid);
  const ev: SignalEvent = { kind: 'signal', tid, signo, placement, siginfo, regs };
  if (version >= 2 && placement === SignalPlacement.Instruction) {
    const point = decodePoint(r, version);
    if (point) ev.point = point;
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------------
// insn: tid, u8 insn, regs, out count, u64 out….

function encodeInsn(w: ByteWriter, h: RegsHistory, e: InsnEvent): void {
  w.u8(FrameTag.Insn);
  w.varint(e.tid);
  w.u8(checkU8Enum(e.insn, TrappedInsn.Cpuid, 'trapped instruction'));
  encodeRegs(w, h, e.tid, e.regs);
  w.varint(e.out.length);
  for (const v of e.out) w.u64(v);
}

function decodeInsn(r: ByteReader, h: RegsHistory): InsnEvent {
  const tid = r.varint();
  const insn = decodeU8Enum(r, TrappedInsn.Cpuid, 'trapped instruction') as TrappedInsn;
  const regs = decodeRegs(r, h, tid);
  const n = r.count('instruction output count', 8);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(r.u64());
  return { kind: 'insn', tid, insn, regs, out };
}

// ---------------------------------------------------------------------------------------------------
// exit: tid, u8 flags (bit 0: code follows, bit 1: signal follows), [svarint code], [varint signal].

function encodeExit(w: ByteWriter, e: ExitEvent): void {
  w.u8(FrameTag.Exit);
  w.varint(e.tid);
  w.u8((e.code !== null ? 1 : 0) | (e.signal !== null ? 2 : 0));
  if (e.code !== null) w.svarint(e.code);
  if (e.signal !== null) w.varint(e.signal);
}

function decodeExit(r: ByteReader): ExitEvent {
  const tid = r.varint();
  const at = r.pos;
  const flags = r.u8();
  if (flags > 3) throw new TraceError(`exit flags 0x${flags.toString(16)} at offset ${at} has unknown bits`);
  const code = flags & 1 ? r.svarint() : null;
  const signal = flags & 2 ? r.varint() : null;
  return { kind: 'exit', tid, code, signal };
}

// ---------------------------------------------------------------------------------------------------
// enter: tid, regs.

function encodeEnter(w: ByteWriter, h: RegsHistory, e: EnterEvent): void {
  w.u8(FrameTag.Enter);
  w.varint(e.tid);
  encodeRegs(w, h, e.tid, e.regs);
}

function decodeEnter(r: ByteReader, h: RegsHistory): EnterEvent {
  const tid = r.varint();
  const regs = decodeRegs(r, h, tid);
  return { kind: 'enter', tid, regs };
}

// ---------------------------------------------------------------------------------------------------
// newtask: tid, child tid, svarint nr, regs.

function encodeNewTask(w: ByteWriter, h: RegsHistory, e: NewTaskEvent): void {
  w.u8(FrameTag.NewTask);
  w.varint(e.tid);
  w.varint(e.child);
  w.svarint(e.nr);
  encodeRegs(w, h, e.tid, e.regs);
}

function decodeNewTask(r: ByteReader, h: RegsHistory): NewTaskEvent {
  const tid = r.varint();
  const child = r.varint();
  const nr = r.svarint();
  const regs = decodeRegs(r, h, tid);
  return { kind: 'newtask', tid, child, nr, regs };
}

// ---------------------------------------------------------------------------------------------------
// preempt: tid, regs, point identity (version 2 on).

function encodePreempt(w: ByteWriter, h: RegsHistory, e: PreemptEvent): void {
  w.u8(FrameTag.Preempt);
  w.varint(e.tid);
  encodeRegs(w, h, e.tid, e.regs);
  encodePoint(w, e.point);
}

function decodePreempt(r: ByteReader, h: RegsHistory, version: number): PreemptEvent {
  const tid = r.varint();
  const regs = decodeRegs(r, h, tid);
  const ev: PreemptEvent = { kind: 'preempt', tid, regs };
  if (version >= 2) {
    const point = decodePoint(r, version);
    if (point) ev.point = point;
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------------
// patch (version 3 on): tid, varint count, then per site: u64 address, u8 instruction; for
// instruction 3 (a syscall site, version 6 on) then u64 stub, bytes original.

function encodePatch(w: ByteWriter, e: PatchEvent): void {
  w.u8(FrameTag.Patch);
  w.varint(e.tid);
  w.varint(e.sites.length);
  for (const s of e.sites) {
    w.u64(s.addr);
    w.u8(checkU8Enum(s.insn, TrappedInsn.CpuidCall, 'patched instruction'));
    if (isStubSite(s.insn)) {
      if (s.stub === undefined || !s.original) throw new TraceError('a patched site without its stub or original bytes');
      w.u64(s.stub);
      w.blob(s.original);
    }
  }
}

function decodePatch(r: ByteReader, version: number): PatchEvent {
  const tid = r.varint();
  const n = r.count('patch site count', 9);
  const sites: PatchEvent['sites'] = [];
  for (let i = 0; i < n; i++) {
    const addr = r.u64();
    const last = version >= 12 ? TrappedInsn.CpuidCall : version >= 6 ? TrappedInsn.Syscall : TrappedInsn.Cpuid;
    const insn = decodeU8Enum(r, last, 'patched instruction') as TrappedInsn;
    if (isStubSite(insn)) sites.push({ addr, insn, stub: r.u64(), original: r.blob('original bytes') });
    else sites.push({ addr, insn });
  }
  return { kind: 'patch', tid, sites };
}

// ---------------------------------------------------------------------------------------------------
// buffered (version 6 on): tid, varint count, bytes records.

function encodeBuffered(w: ByteWriter, e: BufferedEvent): void {
  w.u8(FrameTag.Buffered);
  w.varint(e.tid);
  w.varint(e.count);
  w.blob(e.records);
}

function decodeBuffered(r: ByteReader): BufferedEvent {
  const tid = r.varint();
  const count = r.varint();
  const records = r.blobView('records'); // a view of the chunk: the records are only read, and given to the program
  if (count === 0 || records.length < count * 72) throw new TraceError(`buffered frame with ${count} records in ${records.length} bytes`);
  return { kind: 'buffered', tid, count, records };
}

// ---------------------------------------------------------------------------------------------------

/**
 * Appends one event's frame to w. On a value that cannot be encoded (a negative tid, a u64 out of
 * range, regs of the wrong length…) throws TraceError; w may then hold a partial frame and h may have
 * moved on, so the caller must drop both (trace-writer.ts cuts the frame and starts a new chunk).
 */
export function encodeEvent(w: ByteWriter, h: RegsHistory, ev: TraceEvent): void {
  try {
    switch (ev.kind) {
      case 'exec':
        return encodeExec(w, h, ev);
      case 'syscall':
        return encodeSyscall(w, h, ev);
      case 'signal':
        return encodeSignal(w, h, ev);
      case 'insn':
        return encodeInsn(w, h, ev);
      case 'exit':
        return encodeExit(w, ev);
      case 'enter':
        return encodeEnter(w, h, ev);
      case 'newtask':
        return encodeNewTask(w, h, ev);
      case 'preempt':
        return encodePreempt(w, h, ev);
      case 'patch':
        return encodePatch(w, ev);
      case 'buffered':
        return encodeBuffered(w, ev);
      default:
        throw new TraceError(`unknown event kind ${JSON.stringify((ev as { kind: unknown }).kind)}`);
    }
  } catch (e) {
    if (e instanceof TraceError) throw e;
    const tid = (ev as { tid?: unknown }).tid;
    throw new TraceError(`cannot encode ${ev.kind} event of tid ${String(tid)}: ${describeError(e)}`);
  }
}

const KIND_NAMES = ['', 'exec', 'syscall', 'signal', 'insn', 'exit', 'enter', 'newtask', 'preempt', 'patch', 'buffered'];

/**
 * Decodes one frame at r's position, laid out as trace format `version` has it (the current one unless
 * told). Malformed data throws TraceError (a detail, no trace context).
 */
export function decodeEvent(r: ByteReader, h: RegsHistory, version = TRACE_FORMAT_VERSION): TraceEvent {
  const at = r.pos;
  const tag = r.u8();
  switch (tag) {
    case FrameTag.Exec:
      return decodeExec(r, h, version);
    case FrameTag.Syscall:
      return decodeSyscall(r, h, version);
    case FrameTag.Signal:
      return decodeSignal(r, h, version);
    case FrameTag.Insn:
      return decodeInsn(r, h);
    case FrameTag.Exit:
      return decodeExit(r);
    case FrameTag.Enter:
      return decodeEnter(r, h);
    case FrameTag.NewTask:
      return decodeNewTask(r, h);
    case FrameTag.Preempt:
      return decodePreempt(r, h, version);
    case FrameTag.Patch:
      if (version < 3) throw new TraceError(`patch frame at offset ${at} in a version ${version} trace`);
      return decodePatch(r, version);
    case FrameTag.Buffered:
      if (version < 6) throw new TraceError(`buffered frame at offset ${at} in a version ${version} trace`);
      return decodeBuffered(r);
    default:
      throw new TraceError(`unknown frame type ${tag} at offset ${at}`);
  }
}

/**
 * Decodes a whole chunk's raw bytes: frames back to back, filling it exactly, registers relative to a
 * fresh history. Throws TraceError naming the frame on any malformed or trailing byte.
 */
export function decodeChunk(raw: Uint8Array, version = TRACE_FORMAT_VERSION): TraceEvent[] {
  const r = new ByteReader(raw);
  const h = new RegsHistory();
  const out: TraceEvent[] = [];
  while (!r.atEnd) {
    const at = r.pos;
    const tag = raw[at]!;
    try {
      out.push(decodeEvent(r, h, version));
    } catch (e) {
      const kind = KIND_NAMES[tag] || `type ${tag}`;
      throw new TraceError(`frame ${out.length} (${kind}) at chunk offset ${at}: ${describeError(e)}`);
    }
  }
  return out;
}
