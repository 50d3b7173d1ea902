// Code patcher: where an ELF64 file's code is, as the file's own function table says. The ranges come
// from the unwind table (.eh_frame FDEs: every compiled function has one) and the symbol tables
// (STT_FUNC with a size), clipped to executable PT_LOAD segments, and are given as file offsets.
// Decoding from a function's start, only to its end, keeps the decoder in step with the instructions
// and off data that happens to sit in a code segment.
// Bounded against malformed input: anything that does not parse yields fewer ranges, never an error.
import {
  EHDR_SIZE, E_PHENTSIZE, E_PHNUM, E_PHOFF, E_SHENTSIZE, E_SHNUM, E_SHOFF, E_SHSTRNDX, isElf64Le,
  PF_X, PHDR_SIZE, PT_GNU_EH_FRAME, PT_LOAD, SHDR_SIZE, SHT_DYNSYM, SHT_SYMTAB, STT_FUNC, SYM_SIZE,
} from '../kernel/elf.js';
import { closeSync, openSync, readSync } from 'node:fs';

/** A half-open range of file offsets. */
export interface Range {
  start: number;
  end: number;
}

interface Segment {
  offset: number;
  vaddr: number;
  filesz: number;
}

/** Whether the file at path starts with the ELF magic (reads 4 bytes: it may be a huge file mapped executable). */
export function isElfFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = new Uint8Array(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46;
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's loaded segments (PT_LOAD: file offset, address, size in the file), for turning the
 * address an instruction refers to into the file offset of the bytes there. Empty when not ELF64.
 */
export function loadSegments(file: Uint8Array): Segment[] {
  return programHeaders(file).filter((s) => s.type === PT_LOAD);
}

/** The file offset that address `vaddr` of a loaded segment holds, or -1. */
export function offsetOfAddress(segments: readonly Segment[], vaddr: number): number {
  for (const s of segments) if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
  return -1;
}

/** The address file offset `offset` is loaded at, or -1. */
export function addressOfOffset(segments: readonly Segment[], offset: number): number {
  for (const s of segments) if (offset >= s.offset && offset < s.offset + s.filesz) return s.vaddr + (offset - s.offset);
  return -1;
}

const MAX_HEADERS = 65536;

/** The file-offset ranges of the functions in an ELF64 little-endian x86-64 file's executable segments. */
export function functionRanges(file: Uint8Array): Range[] {
  const found: Range[] = [];
  eachFunction(file, (start, end) => found.push({ start, end }));
  return unique(found);
}

/**
 * Every function range of the file as start, end pairs of file offsets, in table order, duplicates
 * included: the ranges functionRanges lists, in a form cheap to keep and to search (a 99 MB node
 * binary has about 190,000 entries).
 */
export function functionPairs(file: Uint8Array): Float64Array {
  let out = new Float64Array(1 << 12);
  let n = 0;
  eachFunction(file, (start, end) => {
    if (n + 2 > out.length) {
      const grown = new Float64Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = start;
    out[n++] = end;
  });
  return out.slice(0, n);
}

/**
 * functionPairs' ranges sorted by start (then end), with the greatest end among each prefix: the
 * function around an offset and its padding in O(log n) instead of a pass over every range (node's
 * binary has 225,000: each point of a replay in it cost ~0.5 ms a lookup).
 */
export class FunctionIndex {
  /** The greatest end among the ranges 0..i. */
  private readonly maxEnd: Float64Array;

  /** `pairs` sorted by start then end (FunctionIndex.sort). */
  constructor(readonly pairs: Float64Array) {
    const n = pairs.length >> 1;
    this.maxEnd = new Float64Array(n);
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      m = Math.max(m, pairs[2 * i + 1]!);
      this.maxEnd[i] = m;
    }
  }

  /** functionPairs' output sorted by start, then end. */
  static sort(pairs: Float64Array): Float64Array {
    const n = pairs.length >> 1;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => pairs[2 * a]! - pairs[2 * b]! || pairs[2 * a + 1]! - pairs[2 * b + 1]!);
    const out = new Float64Array(2 * n);
    order.forEach((k, i) => {
      out[2 * i] = pairs[2 * k]!;
      out[2 * i + 1] = pairs[2 * k + 1]!;
    });
    return out;
  }

  /** How many ranges start below x. */
  private startsBelow(x: number): number {
    let lo = 0;
    let hi = this.pairs.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pairs[2 * mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The range functionRanges would list for the function holding file offset off: the shortest of
   * those holding it, the first by start among equally short ones; null when none does.
   */
  around(off: number): Range | null {
    let bestStart = -1;
    let bestEnd = -1;
    for (let i = this.startsBelow(off + 1) - 1; i >= 0 && this.maxEnd[i]! > off; i--) {
      const start = this.pairs[2 * i]!;
      const end = this.pairs[2 * i + 1]!;
      if (off >= end) continue;
      const len = end - start;
      if (bestStart < 0 || len < bestEnd - bestStart || (len === bestEnd - bestStart && start < bestStart)) {
        bestStart = start;
        bestEnd = end;
      }
    }
    return bestStart < 0 ? null : { start: bestStart, end: bestEnd };
  }

  /**
   * The padding around fn (a listed range) that no function holds: [before, fn.start) up to the end
   * of the function before it, and [fn.end, after) up to the start of the one after it. Only a gap of
   * at most `window` bytes between two listed functions counts (before = fn.start, after = fn.end
   * otherwise, and where another range covers fn's edge).
   */
  padding(fn: Range, window: number): { before: number; after: number } {
    const below = this.startsBelow(fn.start);
    const reach = below > 0 ? this.maxEnd[below - 1]! : -Infinity;
    // Every range starting before fn ends by its start unless one covers it; then the latest end is the padding's start.
    const coveredBefore = reach > fn.start;
    const beforeEnd = this.startsBelow(fn.end);
    const coveredAfter = beforeEnd > 0 && this.maxEnd[beforeEnd - 1]! > fn.end;
    const nextStart = beforeEnd < this.pairs.length >> 1 ? this.pairs[2 * beforeEnd]! : Infinity;
    return {
      before: !coveredBefore && fn.start - reach <= window ? reach : fn.start,
      after: !coveredAfter && nextStart - fn.end <= window ? nextStart : fn.end,
    };
  }
}

/**
 * The parts of an ELF file the function tables are read from, in a buffer as long as the file: its
 * header, program and section headers, section names, symbol tables and .eh_frame, at their offsets,
 * zeros elsewhere (pages never written cost no memory). What eachFunction reads, without reading the
 * code itself: for a 99 MB node binary, 7 MB. Null when the file has no .eh_frame section header (the
 * table is then found through PT_GNU_EH_FRAME, in segment bytes): the caller reads the whole file.
 * readAt fills buf from the file at pos (this module does no I/O).
 */
export function readFunctionTables(size: number, readAt: (buf: Uint8Array, pos: number) => void): Uint8Array | null {
  const file = new Uint8Array(size);
  const load = (offset: number, length: number): boolean => {
    if (offset < 0 || length < 0 || offset + length > size) return false;
    if (length > 0) readAt(file.subarray(offset, offset + length), offset);
    return true;
  };
  if (!load(0, Math.min(size, EHDR_SIZE)) || !isElf64Le(file)) return null;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const phoff = u64At(dv, E_PHOFF);
  if (phoff !== null) load(phoff, dv.getUint16(E_PHNUM, true) * PHDR_SIZE);
  const shoff = u64At(dv, E_SHOFF);
  const shnum = dv.getUint16(E_SHNUM, true);
  if (shoff === null || shoff === 0 || shnum > MAX_HEADERS || !load(shoff, shnum * SHDR_SIZE)) return null;
  const shstrndx = dv.getUint16(E_SHSTRNDX, true);
  if (shstrndx < shnum) {
    const o = shoff + shstrndx * SHDR_SIZE;
    const off = u64At(dv, o + 24);
    const len = u64At(dv, o + 32);
    if (off !== null && len !== null) load(off, len);
  }
  let ehFrame = false;
  for (const s of sectionHeaders(file, dv)) {
    if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) load(s.offset, s.size);
    if (s.name === '.eh_frame') ehFrame = load(s.offset, s.size);
  }
  return ehFrame ? file : null;
}

/** Every function range of the file's tables, in table order, duplicates included (numbers, no objects: a big file has hundreds of thousands). */
function eachFunction(file: Uint8Array, found: (start: number, end: number) => void): void {
  if (!isElf64Le(file)) return;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const all = programHeaders(file);
  const exec = all.filter((s) => s.type === PT_LOAD && (s.flags & PF_X) !== 0);
  if (exec.length === 0) return;
  const add = (vaddr: number, size: number) => {
    if (size <= 0) return;
    for (const s of exec) {
      if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) {
        const start = s.offset + (vaddr - s.vaddr);
        const end = Math.min(start + size, s.offset + s.filesz, file.length);
        if (end > start) found(start, end);
        return;
      }
    }
  };

  const sections = sectionHeaders(file, dv);
  let ehFrame: { offset: number; vaddr: number; size: number } | null = null;
  for (const s of sections) {
    if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) readSymbols(file, dv, s, add);
    if (s.name === '.eh_frame') ehFrame = { offset: s.offset, vaddr: s.addr, size: s.size };
  }
  if (!ehFrame) ehFrame = ehFrameFromHeader(file, dv, all);
  if (ehFrame) readFdes(file, dv, ehFrame, add);
}

/** The program headers of an ELF64 little-endian file (none when it is not one, or they do not fit). */
function programHeaders(file: Uint8Array): (Segment & { type: number; flags: number })[] {
  if (!isElf64Le(file)) return [];
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u64 = (o: number) => safe(dv.getBigUint64(o, true));
  const out: (Segment & { type: number; flags: number })[] = [];
  const phoff = u64(E_PHOFF);
  const phnum = dv.getUint16(E_PHNUM, true);
  if (phoff === null || dv.getUint16(E_PHENTSIZE, true) !== PHDR_SIZE || phoff + phnum * PHDR_SIZE > file.length) return out;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * PHDR_SIZE;
    out.push({ type: dv.getUint32(o, true), flags: dv.getUint32(o + 4, true), offset: u64(o + 8) ?? 0, vaddr: u64(o + 16) ?? 0, filesz: u64(o + 32) ?? 0 });
  }
  return out;
}

interface Section {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function sectionHeaders(file: Uint8Array, dv: DataView): Section[] {
  const shoff = safe(dv.getBigUint64(E_SHOFF, true));
  const shnum = dv.getUint16(E_SHNUM, true);
  const shstrndx = dv.getUint16(E_SHSTRNDX, true);
  if (shoff === null || shoff === 0 || dv.getUint16(E_SHENTSIZE, true) !== SHDR_SIZE || shnum > MAX_HEADERS) return [];
  if (shoff + shnum * SHDR_SIZE > file.length) return [];
  const raw: (Omit<Section, 'name'> & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    raw.push({
      nameOff: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), addr: safe(dv.getBigUint64(o + 16, true)) ?? 0,
      offset: safe(dv.getBigUint64(o + 24, true)) ?? 0, size: safe(dv.getBigUint64(o + 32, true)) ?? 0,
      link: dv.getUint32(o + 40, true), entsize: safe(dv.getBigUint64(o + 56, true)) ?? 0,
    });
  }
  const names = raw[shstrndx];
  return raw.map((s) => ({ ...s, name: names ? cString(file, names.offset + s.nameOff, names.offset + names.size) : '' }));
}

function readSymbols(file: Uint8Array, dv: DataView, s: Section, add: (vaddr: number, size: number) => void): void {
  if (s.entsize !== SYM_SIZE || s.offset + s.size > file.length) return;
  for (let o = s.offset; o + SYM_SIZE <= s.offset + s.size; o += SYM_SIZE) {
    if ((file[o + 4]! & 0xf) !== STT_FUNC || dv.getUint16(o + 6, true) === 0) continue;
    const value = u64At(dv, o + 8);
    const size = u64At(dv, o + 16);
    if (value !== null && size !== null) add(value, size);
  }
}

/** Without section headers: PT_GNU_EH_FRAME's eh_frame_hdr names where .eh_frame starts. */
function ehFrameFromHeader(file: Uint8Array, dv: DataView, segs: (Segment & { type: number })[]): { offset: number; vaddr: number; size: number } | null {
  const hdr = segs.find((s) => s.type === PT_GNU_EH_FRAME);
  if (!hdr || hdr.offset + 8 > file.length || file[hdr.offset] !== 1) return null;
  const enc = file[hdr.offset + 1]!;
  const r = new Cursor(file, dv, hdr.offset + 4, file.length);
  const vaddr = r.pointer(enc, hdr.vaddr + 4, hdr.vaddr);
  if (vaddr === null) return null;
  const load = segs.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  if (!load) return null;
  const offset = load.offset + (vaddr - load.vaddr);
  return { offset, vaddr, size: load.offset + load.filesz - offset };
}

/** Walks .eh_frame's CIEs and FDEs; each FDE gives a function's start and length. */
function readFdes(file: Uint8Array, dv: DataView, eh: { offset: number; vaddr: number; size: number }, add: (vaddr: number, size: number) => void): void {
  const end = Math.min(eh.offset + eh.size, file.length);
  const cieEncoding = new Map<number, number>();
  let at = eh.offset;
  while (at + 4 <= end) {
    let length = dv.getUint32(at, true);
    let body = at + 4;
    if (length === 0) break; // terminator
    if (length === 0xffffffff) {
      if (at + 12 > end) break;
      const l = safe(dv.getBigUint64(at + 4, true));
      if (l === null) break;
      length = l;
      body = at + 12;
    }
    const next = body + length;
    if (next > end || body + 4 > end) break;
    const id = dv.getUint32(body, true);
    if (id === 0) {
      const e = cieFdeEncoding(file, dv, body + 4, next);
      if (e !== null) cieEncoding.set(at, e);
    } else {
      const cie = body - id;
      const enc = cieEncoding.get(cie) ?? (cie >= eh.offset && cie < at ? cieFdeEncodingAt(file, dv, cie, end) : null);
      if (enc !== null && enc !== undefined) {
        const r = new Cursor(file, dv, body + 4, next);
        const fieldVaddr = eh.vaddr + (body + 4 - eh.offset);
        const start = r.pointer(enc, fieldVaddr, 0);
        const size = r.pointer(enc & 0x0f, 0, 0);
        if (start !== null && size !== null) add(start, size);
      }
    }
    at = next;
  }
}

function cieFdeEncodingAt(file: Uint8Array, dv: DataView, cie: number, end: number): number | null {
  const length = dv.getUint32(cie, true);
  if (length === 0 || length === 0xffffffff) return null;
  return cieFdeEncoding(file, dv, cie + 8, Math.min(cie + 4 + length, end));
}

/** The pointer encoding of FDEs under a CIE (its 'R' augmentation; absolute 8-byte pointers without one). */
function cieFdeEncoding(file: Uint8Array, dv: DataView, at: number, end: number): number | null {
  const r = new Cursor(file, dv, at, end);
  const version = r.u8();
  if (version === null) return null;
  const aug = cString(file, r.pos, end);
  r.pos += aug.length + 1;
  if (aug.includes('eh')) return null; // an ancient GCC extension: not produced by current compilers
  r.uleb(); // code alignment
  r.sleb(); // data alignment
  if (version === 1) r.u8(); else r.uleb(); // return address register
  if (!aug.startsWith('z')) return 0x00;
  const augLength = r.uleb();
  if (augLength === null) return null;
  for (const c of aug.slice(1)) {
    if (c === 'R') return r.u8();
    if (c === 'P') {
      const penc = r.u8();
      if (penc === null || r.pointer(penc, 0, 0) === null) return null;
    } else if (c === 'L') r.u8();
    else if (c !== 'S' && c !== 'B' && c !== 'G') return null;
  }
  return 0x00;
}

/** A bounded reader of DWARF-style encoded values. */
class Cursor {
  constructor(private readonly file: Uint8Array, private readonly dv: DataView, public pos: number, private readonly end: number) {}

  u8(): number | null {
    return this.pos < this.end ? this.file[this.pos++]! : null;
  }

  uleb(): number | null {
    return this.leb(false);
  }

  sleb(): number | null {
    return this.leb(true);
  }

  /** A LEB128 number (at most 7 bytes: offsets and sizes, never more). */
  private leb(signed: boolean): number | null {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (b === null || shift > 49) return null;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return signed && (b & 0x40) !== 0 ? v - 2 ** shift : v;
    }
  }

  /** A pointer with DWARF encoding enc; pcrel is relative to fieldVaddr, datarel to dataBase. */
  pointer(enc: number, fieldVaddr: number, dataBase: number): number | null {
    if (enc === 0xff) return null;
    let v: number | null;
    const need = (n: number) => (this.pos + n <= this.end ? this.pos : -1);
    switch (enc & 0x0f) {
      case 0x00: case 0x04: { const o = need(8); v = o < 0 ? null : safe(this.dv.getBigUint64(o, true)); this.pos += 8; break; }
      case 0x0c: { const o = need(8); v = o < 0 ? null : Number(this.dv.getBigInt64(o, true)); this.pos += 8; break; }
      case 0x01: v = this.uleb(); break;
      case 0x09: v = this.sleb(); break;
      case 0x02: { const o = need(2); v = o < 0 ? null : this.dv.getUint16(o, true); this.pos += 2; break; }
      case 0x0a: { const o = need(2); v = o < 0 ? null : this.dv.getInt16(o, true); this.pos += 2; break; }
      case 0x03: { const o = need(4); v = o < 0 ? null : this.dv.getUint32(o, true); this.pos += 4; break; }
      case 0x0b: { const o = need(4); v = o < 0 ? null : this.dv.getInt32(o, true); this.pos += 4; break; }
      default: return null;
    }
    if (v === null) return null;
    switch (enc & 0x70) {
      case 0x00: return v;
      case 0x10: return fieldVaddr + v; // relative to the field itself
      case 0x30: return dataBase + v;
      default: return null;
    }
  }
}

function cString(file: Uint8Array, at: number, end: number): string {
  let e = at;
  const limit = Math.min(end, file.length, at + 4096);
  while (e < limit && file[e] !== 0) e++;
  return Buffer.from(file.buffer, file.byteOffset + at, Math.max(0, e - at)).toString('latin1');
}

/** The little-endian u64 at o as a number when it is a sane offset or size (below 2^53), else null; as safe() of it, without a bigint. */
function u64At(dv: DataView, o: number): number | null {
  const hi = dv.getUint32(o + 4, true);
  return hi < 0x200000 ? hi * 0x100000000 + dv.getUint32(o, true) : null;
}

/** A bigint as a number when it is a sane offset or size, else null. */
function safe(v: bigint): number | null {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

/** Sorted by start (then end), duplicates dropped. Overlaps stay: each start is a place decoding can begin. */
/**
 * The functions (as functionRanges gives them: sorted by start, possibly overlapping) holding any of
 * the offsets: for each offset a binary search, then a walk back over the functions starting before
 * it while one of them (the running maximum of their ends says) may still reach it. A 99 MB node
 * binary has 78,000 functions and a thousand candidate offsets: the plain double loop took 0.4 s.
 */
export function functionsHolding(functions: readonly Range[], offsets: readonly number[]): Set<Range> {
  const out = new Set<Range>();
  const maxEnd = new Float64Array(functions.length);
  let m = 0;
  for (let i = 0; i < functions.length; i++) maxEnd[i] = m = Math.max(m, functions[i]!.end);
  for (const at of offsets) {
    let lo = 0;
    let hi = functions.length; // the first function starting after `at`
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (functions[mid]!.start <= at) lo = mid + 1; else hi = mid;
    }
    for (let j = lo - 1; j >= 0 && maxEnd[j]! > at; j--) if (at < functions[j]!.end) out.add(functions[j]!);
  }
  return out;
}

function unique(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  return sorted.filter((r, i) => i === 0 || r.start !== sorted[i - 1]!.start || r.end !== sorted[i - 1]!.end);
}
