// Code patcher: replaces instructions in a traced process's code by a trap that rewind emulates, where
// the kernel cannot trap them (rdtsc/rdtscp without a working PR_SET_TSC, cpuid without CPUID
// faulting). Sites are found per mapping, in the file behind it (src/patch/sites.ts), and patched
// while every thread of the process is stopped, before the new code can run: right after the exec,
// mmap or mprotect that made it executable. A site's instruction becomes `ud2` (padded with `nop`s
// to its length): a fault at the site's own address, SIGILL, which rewind recognises by the site
// table and emulates like a kernel trap. The debugger (and anything that asks) sees the original
// bytes through `PatchedCode.originalView`.
//
// Where the syscall buffer is mapped, a cpuid with a window around it becomes a jump to a stub that
// calls the buffer's in-process CPUID instead (TrappedInsn.CpuidCall, cpuid-sites.ts); the others stay
// traps. These stub sites and the buffer's syscall sites (libc's syscall wrappers jumping to stubs,
// syscall-sites.ts) are kept in the same tables: found per mapping, patched at a stop of the whole
// process, undone in the debugger's view.
import { statSync } from 'node:fs';
import { INT3, NOP, UD2 } from '../kernel/x86-insn.js';
import type { PatchSite } from '../trace/events.js';
import { isStubSite, TrappedInsn } from '../trace/events.js';
import { TraceeError } from '../tracee/errors.js';
import { mapFilesPath, readMaps, type Mapping } from '../tracee/maps.js';
import { PageBatch, type TaskMemory } from '../tracee/page-batch.js';
import type { Task } from '../tracee/task.js';
import { syscallbufBlob } from '../syscallbuf/blob.js';
import { applyCpuidWindow, patchCpuidWindow } from './cpuid-sites.js';
import { INSN_BYTES } from './decoder.js';
import { sitesOfFile } from './sites.js';
import { readStubNext, writeStubNext } from './stub-area.js';
import { applySyscallSite, patchSyscallSites } from './syscall-sites.js';

/** The bytes a patched site holds: ud2, then nops to the instruction's length. */
export function trapBytes(insn: TrappedInsn): Uint8Array {
  const out = new Uint8Array(INSN_BYTES[insn].length).fill(NOP);
  out.set(UD2);
  return out;
}

/** The patched sites of one address space. Immutable: a checkpoint keeps the table it was taken with. */
export class PatchedCode {
  static readonly empty = new PatchedCode(new Map());

  private constructor(private readonly sites: ReadonlyMap<bigint, PatchSite>) {}

  get size(): number {
    return this.sites.size;
  }

  /**
   * The instruction patched at addr into a trap, if a trap site starts there (not a stub site: it
   * never traps); or cpuid at the in-process CPUID's trap, which stands for a patched cpuid's trap.
   */
  siteAt(addr: bigint): TrappedInsn | undefined {
    const insn = this.sites.get(addr)?.insn;
    if (insn !== undefined) return isStubSite(insn) ? undefined : insn;
    return addr === syscallbufBlob().cpuidTrapIp ? TrappedInsn.Cpuid : undefined;
  }

  /** Whether any site (trap or syscall) starts at addr. */
  has(addr: bigint): boolean {
    return this.sites.has(addr);
  }

  /**
   * The stub site (a syscall or cpuid site) whose replaced bytes hold addr past their first (the jump
   * to its stub is there: code at such an address never runs as such), or undefined.
   */
  stubSiteInside(addr: bigint): PatchSite | undefined {
    for (const s of this.sites.values()) {
      if (isStubSite(s.insn) && s.original && addr > s.addr && addr < s.addr + BigInt(s.original.length)) return s;
    }
    return undefined;
  }

  /** Whether a site's bytes (original or trap) overlap [start, end). */
  overlaps(start: bigint, end: bigint): boolean {
    for (const s of this.sites.values()) if (s.addr < end && s.addr + BigInt((s.original ?? INSN_BYTES[s.insn]).length) > start) return true;
    return false;
  }

  /**
   * The syscall site whose stub holds addr (a return address into a stub: the stubs are laid out one
   * after another, so it is the site with the last stub at or below addr), or undefined.
   */
  syscallSiteOfStub(addr: bigint): PatchSite | undefined {
    let best: PatchSite | undefined;
    for (const s of this.sites.values()) {
      if (s.stub !== undefined && s.stub <= addr && (!best || s.stub > best.stub!)) best = s;
    }
    return best?.insn === TrappedInsn.Syscall ? best : undefined;
  }

  with(added: readonly PatchSite[]): PatchedCode {
    if (added.length === 0) return this;
    const next = new Map(this.sites);
    for (const s of added) next.set(s.addr, s);
    return new PatchedCode(next);
  }

  /** The sites in [start, end). */
  sitesIn(start: bigint, end: bigint): PatchSite[] {
    return [...this.sites.values()].filter((s) => s.addr >= start && s.addr < end);
  }

  /** Without the sites in [start, end) (the code there was unmapped or replaced). */
  without(start: bigint, end: bigint): PatchedCode {
    let next: Map<bigint, PatchSite> | null = null;
    for (const addr of this.sites.keys()) {
      if (addr >= start && addr < end) {
        next ??= new Map(this.sites);
        next.delete(addr);
      }
    }
    return next ? new PatchedCode(next) : this;
  }

  /** Puts the original instructions back into `data`, read from memory at addr (in place; returns data). */
  originalView(addr: bigint, data: Uint8Array): Uint8Array {
    if (this.sites.size === 0 || data.length === 0) return data;
    const end = addr + BigInt(data.length);
    for (const [site, s] of this.sites) {
      const bytes = s.original ?? INSN_BYTES[s.insn];
      if (site + BigInt(bytes.length) <= addr || site >= end) continue;
      bytes.forEach((b, i) => {
        const at = Number(site - addr) + i;
        if (at >= 0 && at < data.length) data[at] = b;
      });
    }
    return data;
  }
}

/** The instructions to patch, from which kernel traps are missing (or forced off). */
export function patchKinds(patchTsc: boolean, patchCpuid: boolean): ReadonlySet<TrappedInsn> {
  const kinds = new Set<TrappedInsn>();
  if (patchTsc) kinds.add(TrappedInsn.Rdtsc).add(TrappedInsn.Rdtscp);
  if (patchCpuid) kinds.add(TrappedInsn.Cpuid);
  return kinds;
}

/**
 * Finds and patches the sites of `kinds` in the private, file-backed, executable mappings that overlap
 * [start, end) (the whole address space without a range). The process must be stopped, every thread.
 * Sites already patched, or whose bytes are not the expected instruction (the program rewrote them),
 * are left alone. With CpuidCall in kinds, a cpuid with a window becomes a stub site, the others trap
 * sites (with Cpuid in kinds). Returns the sites patched now.
 */
export function patchCode(task: Task, code: PatchedCode, kinds: ReadonlySet<TrappedInsn>, start = 0n, end = 1n << 64n): PatchSite[] {
  if (kinds.size === 0) return [];
  // Read and written page by page: libc alone has hundreds of sites, and a write into read-only code
  // is a forced write through the kernel per call (make -j2's recording: 14,700 writes, 147 ms).
  const mem = new PageBatch(task);
  const out: PatchSite[] = [];
  const maps = readMaps(task.tid);
  if (kinds.has(TrappedInsn.Syscall)) out.push(...patchSyscallSites(task.tid, maps, mem, (a) => code.has(a), syscallbufBlob().entry, start, end));
  const windows = kinds.has(TrappedInsn.CpuidCall);
  let next: bigint | null | undefined; // the stub area's next free byte, once a window is patched
  let taken = PatchedCode.empty.with(out); // what this call patched so far
  for (const m of maps) {
    if (!patchable(m) || m.end <= start || m.start >= end) continue;
    const lo = m.start > start ? m.start : start;
    const hi = m.end < end ? m.end : end;
    const path = mapFilesPath(task.tid, m);
    let st;
    try {
      st = statSync(path, { bigint: true });
    } catch {
      continue; // the mapping went away
    }
    const sites = sitesOfFile(path, { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs });
    const at = (offset: number): bigint => m.start + BigInt(offset) - m.offset;
    mem.prefetch(sites.flatMap((s) => {
      const a = windows && s.window ? at(s.window.start) : kinds.has(s.insn) ? at(s.offset) : -1n;
      return a >= lo && a < hi ? [a] : [];
    }));
    for (const s of sites) {
      const addr = at(s.offset);
      if (windows && s.window) {
        const w = at(s.window.start);
        const wEnd = w + BigInt(s.window.length);
        if (w >= lo && wEnd <= hi && !code.overlaps(w, wEnd) && !taken.overlaps(w, wEnd)) {
          if (next === undefined) next = readStubNext(mem);
          const r = next === null ? null : patchCpuidWindow(mem, w, s.window.length, addr, next, syscallbufBlob().cpuid);
          if (r) {
            out.push(r.site);
            taken = taken.with([r.site]);
            next = r.next;
            continue;
          }
        }
      }
      if (!kinds.has(s.insn)) continue;
      const len = INSN_BYTES[s.insn].length;
      if (addr < lo || addr + BigInt(len) > hi || code.has(addr) || taken.overlaps(addr, addr + BigInt(len))) continue;
      if (!holdsInsn(mem, addr, s.insn)) continue;
      writeTrap(mem, addr, s.insn);
      out.push({ addr, insn: s.insn });
    }
  }
  if (next) writeStubNext(mem, next);
  mem.flush();
  return out;
}

/**
 * Applies sites patched at recording (replay). Each must hold its instruction (or be patched already,
 * by the same table); anything else means the code differs from the recording's.
 */
export function applySites(task: Task, code: PatchedCode, sites: readonly PatchSite[]): void {
  // Checked and written site by site in a batch, written into the task page by page at the end
  // (nothing is written when a site does not hold its instruction).
  const mem = new PageBatch(task);
  mem.prefetch(sites.flatMap((s) => (code.has(s.addr) ? [] : s.stub !== undefined ? [s.addr, s.stub] : [s.addr])));
  for (const s of sites) {
    if (s.insn === TrappedInsn.Syscall) {
      if (!code.has(s.addr)) applySyscallSite(mem, s, syscallbufBlob().entry);
      continue;
    }
    if (s.insn === TrappedInsn.CpuidCall) {
      if (!code.has(s.addr)) applyCpuidWindow(mem, s, syscallbufBlob().cpuid);
      continue;
    }
    if (code.siteAt(s.addr) === s.insn) continue;
    if (!holdsInsn(mem, s.addr, s.insn)) {
      throw new TraceeError(`the code at 0x${s.addr.toString(16)} is not the instruction the recording patched there`);
    }
    writeTrap(mem, s.addr, s.insn);
  }
  mem.flush();
}

/**
 * The site holds its instruction. Its first byte may be a debugger's int3 (0xcc) planted there: the
 * instruction and its trap both begin with 0x0f, so only the bytes after the first are rewritten
 * (writeTrap) and the byte the breakpoint saved stays right for either.
 */
function holdsInsn(task: TaskMemory, addr: bigint, insn: TrappedInsn): boolean {
  const bytes = INSN_BYTES[insn];
  const now = task.readPartial(addr, bytes.length);
  if (now.length !== bytes.length || (now[0] !== bytes[0] && now[0] !== INT3)) return false;
  for (let i = 1; i < bytes.length; i++) if (now[i] !== bytes[i]) return false;
  return true;
}

function writeTrap(task: TaskMemory, addr: bigint, insn: TrappedInsn): void {
  task.write(addr + 1n, trapBytes(insn).subarray(1));
}

/** Only private file mappings: writing into a shared one would write into the file. */
function patchable(m: Mapping): boolean {
  return m.perms[2] === 'x' && m.perms[3] === 'p' && m.name.startsWith('/');
}


/** Which address space each task uses, and the patched sites of each. */
export interface CodeSpacesState {
  spaceOf: [number, number][];
  code: [number, PatchedCode][];
}

/**
 * The patch tables of a traced tree's address spaces, by task: threads and CLONE_VM children share
 * their creator's, a fork child starts with a copy of its parent's, an exec starts an empty one.
 * A snapshot is cheap (the tables are immutable) and restores exactly.
 */
export class CodeSpaces {
  private readonly spaceOf: Map<number, number>;
  private readonly code: Map<number, PatchedCode>;

  constructor(from?: CodeSpacesState) {
    this.spaceOf = new Map(from?.spaceOf);
    this.code = new Map(from?.code);
  }

  of(tid: number): PatchedCode {
    const space = this.spaceOf.get(tid);
    return (space !== undefined ? this.code.get(space) : undefined) ?? PatchedCode.empty;
  }

  set(tid: number, code: PatchedCode): void {
    let space = this.spaceOf.get(tid);
    if (space === undefined) {
      space = tid;
      this.spaceOf.set(tid, space);
    }
    this.code.set(space, code);
  }

  /** A new task: shares its creator's memory (threads, vfork, CLONE_VM) or gets a copy of it. */
  created(parent: number, child: number, sharesMemory: boolean): void {
    if (sharesMemory) {
      const space = this.spaceOf.get(parent);
      if (space !== undefined) this.spaceOf.set(child, space);
      return;
    }
    this.spaceOf.set(child, child);
    this.code.set(child, this.of(parent));
  }

  /** tid exec'd (and is known as newTid from now on): a fresh address space. */
  execed(tid: number, newTid: number): void {
    this.spaceOf.delete(tid);
    this.spaceOf.set(newTid, newTid);
    this.code.set(newTid, PatchedCode.empty);
    this.collect();
  }

  exited(tid: number): void {
    this.spaceOf.delete(tid);
    this.collect();
  }

  /** The id of tid's address space (undefined before its first exec is known). */
  spaceId(tid: number): number | undefined {
    return this.spaceOf.get(tid);
  }

  /** Whether some task still uses the address space `space`. */
  isLive(space: number): boolean {
    for (const s of this.spaceOf.values()) if (s === space) return true;
    return false;
  }

  snapshot(): CodeSpacesState {
    return { spaceOf: [...this.spaceOf], code: [...this.code] };
  }

  /** Drops tables no task uses any more. */
  private collect(): void {
    const used = new Set(this.spaceOf.values());
    for (const space of this.code.keys()) if (!used.has(space)) this.code.delete(space);
  }
}
