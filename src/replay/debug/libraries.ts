// Replay debugging: the shared libraries of the debugged process, as gdb's qXfer:libraries-svr4
// document (<library-list-svr4>). The dynamic linker's list is read from the process's memory the way
// gdbserver does: auxv AT_PHDR → the program headers → PT_DYNAMIC → DT_DEBUG → r_debug.r_map → the
// link_map chain. Each library is named by the file really mapped at its dynamic section in the
// replayed process (replay maps the trace's own copies), under its recorded path (nameOf): gdb reads
// it through Host I/O, which serves the trace's copy, so it sees the recorded files' symbols.
import { readMaps, type Mapping } from '../../tracee/maps.js';
import type { Task } from '../../tracee/task.js';
import { AT_PHDR, AT_PHNUM, DT_DEBUG, DT_NULL, PHDR_SIZE, PT_DYNAMIC, PT_PHDR } from '../../kernel/elf.js';

const MAX_DYNAMIC = 1024;
const MAX_LIBRARIES = 4096;

interface LinkMapEntry {
  lm: bigint;
  name: string;
  addr: bigint;
  ld: bigint;
}

/** The <library-list-svr4> document for the process task belongs to (empty before ld.so has run). */
export function librariesSvr4(task: Task, auxv: Uint8Array, nameOf: (mapped: string) => string): string {
  const entries = linkMap(task, auxv);
  if (entries.length === 0) return '<library-list-svr4 version="1.0"/>';
  const maps = readMaps(task.tid);
  const libs = entries.slice(1).filter((e) => e.name !== '').map((e) => {
    const mapped = mappedFile(maps, e.ld);
    const file = mapped === undefined ? e.name : nameOf(mapped);
    return `<library name="${escapeXml(file)}" lm="${hex(e.lm)}" l_addr="${hex(e.addr)}" l_ld="${hex(e.ld)}" lmid="0x0"/>`;
  });
  return `<library-list-svr4 version="1.0" main-lm="${hex(entries[0]!.lm)}">${libs.join('')}</library-list-svr4>`;
}

/** The dynamic linker's link_map chain, main program first; empty when there is none yet. */
function linkMap(task: Task, auxv: Uint8Array): LinkMapEntry[] {
  const rDebug = debugStructure(task, auxv);
  if (rDebug === 0n) return [];
  const out: LinkMapEntry[] = [];
  let lm = u64(task, rDebug + 8n);
  const seen = new Set<bigint>();
  while (lm !== 0n && !seen.has(lm) && out.length < MAX_LIBRARIES) {
    seen.add(lm);
    const namePtr = u64(task, lm + 8n);
    out.push({ lm, addr: u64(task, lm), name: namePtr === 0n ? '' : task.readCString(namePtr, 4096), ld: u64(task, lm + 16n) });
    lm = u64(task, lm + 24n);
  }
  return out;
}

/** r_debug's address from the main program's DT_DEBUG entry (0 before ld.so fills it in, or for a static program). */
function debugStructure(task: Task, auxv: Uint8Array): bigint {
  const v = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  let phdr = 0n;
  let phnum = 0;
  for (let off = 0; off + 16 <= auxv.length; off += 16) {
    const type = v.getBigUint64(off, true);
    if (type === AT_PHDR) phdr = v.getBigUint64(off + 8, true);
    if (type === AT_PHNUM) phnum = Number(v.getBigUint64(off + 8, true));
  }
  if (phdr === 0n || phnum === 0) return 0n;
  const headers = task.readPartial(phdr, phnum * PHDR_SIZE);
  if (headers.length < phnum * PHDR_SIZE) return 0n;
  const h = new DataView(headers.buffer, headers.byteOffset, headers.byteLength);
  let bias = 0n;
  let dynamic: bigint | null = null;
  for (let i = 0; i < phnum; i++) {
    const type = h.getUint32(i * PHDR_SIZE, true);
    const vaddr = h.getBigUint64(i * PHDR_SIZE + 16, true);
    if (type === PT_PHDR) bias = phdr - vaddr;
    if (type === PT_DYNAMIC) dynamic = vaddr;
  }
  if (dynamic === null) return 0n;
  for (let i = 0; i < MAX_DYNAMIC; i++) {
    const entry = task.readPartial(dynamic + bias + BigInt(i * 16), 16);
    if (entry.length < 16) return 0n;
    const e = new DataView(entry.buffer, entry.byteOffset, 16);
    const tag = e.getBigUint64(0, true);
    if (tag === DT_NULL) return 0n;
    if (tag === DT_DEBUG) return e.getBigUint64(8, true);
  }
  return 0n;
}

/** The file mapped at addr (a path, not a pseudo-mapping such as [vdso]). */
function mappedFile(maps: readonly Mapping[], addr: bigint): string | undefined {
  const m = maps.find((x) => x.start <= addr && addr < x.end);
  return m && m.name.startsWith('/') ? m.name : undefined;
}

function u64(task: Task, addr: bigint): bigint {
  const b = task.readPartial(addr, 8);
  if (b.length < 8) return 0n;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
