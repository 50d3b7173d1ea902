// Replay debugging: the DT_SONAME of an ELF64 little-endian shared object (the name a program's
// DT_NEEDED asks for: libstdc++.so.6 for the file libstdc++.so.6.0.30). Reads only the ELF header,
// the program headers, the dynamic segment and the one string; null for anything else or anything
// malformed.
import {
  DT_NULL, DT_SONAME, DT_STRTAB, E_PHENTSIZE, E_PHNUM, E_PHOFF, EHDR_SIZE, isElf64Le, PHDR_SIZE, PT_DYNAMIC, PT_LOAD,
} from '../../kernel/elf.js';

/** Reads up to `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/** Bounds against hostile files: program headers, dynamic entries, name length. */
const MAX_PHDRS = 256;
const MAX_DYNAMIC = 4096;
const MAX_NAME = 4096;

interface Segment {
  type: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
}

export function elfSoname(read: ReadAt): string | null {
  const header = read(0, EHDR_SIZE);
  if (!isElf64Le(header)) return null;
  const h = view(header);
  const phoff = small(h.getBigUint64(E_PHOFF, true));
  const phentsize = h.getUint16(E_PHENTSIZE, true);
  const phnum = h.getUint16(E_PHNUM, true);
  if (phoff === null || phentsize !== PHDR_SIZE || phnum > MAX_PHDRS) return null;
  const table = read(phoff, phentsize * phnum);
  if (table.length < phentsize * phnum) return null;
  const t = view(table);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const offset = small(t.getBigUint64(at + 8, true));
    const filesz = small(t.getBigUint64(at + 32, true));
    if (offset === null || filesz === null) continue;
    segments.push({ type: t.getUint32(at, true), offset, vaddr: t.getBigUint64(at + 16, true), filesz });
  }
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return null;
  const entries = read(dynamic.offset, Math.min(dynamic.filesz, MAX_DYNAMIC * 16));
  const d = view(entries);
  let strtab: bigint | null = null;
  let soname: bigint | null = null;
  for (let at = 0; at + 16 <= entries.length; at += 16) {
    const tag = d.getBigInt64(at, true);
    if (tag === DT_NULL) break;
    if (tag === DT_STRTAB) strtab = d.getBigUint64(at + 8, true);
    if (tag === DT_SONAME) soname = d.getBigUint64(at + 8, true);
  }
  if (strtab === null || soname === null) return null;
  // DT_STRTAB is an address: find the loaded segment holding it to get its place in the file.
  const load = segments.find((s) => s.type === PT_LOAD && s.vaddr <= strtab! && strtab! < s.vaddr + BigInt(s.filesz));
  if (!load) return null;
  const at = small(BigInt(load.offset) + strtab - load.vaddr + soname);
  if (at === null) return null;
  const name = read(at, MAX_NAME);
  const end = name.indexOf(0);
  if (end <= 0) return null;
  return new TextDecoder().decode(name.subarray(0, end));
}

/** A file offset or size as a number; null past 2^53. */
function small(n: bigint): number | null {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
