// Code patcher: libc's syscall wrappers sent to the syscall buffer (src/syscallbuf). A site is a
// `syscall` instruction with the instruction that loads its number right before it (`mov $NR, %eax`,
// or `xor %eax, %eax` for read), for a number the buffer handles, plus the instruction after it when
// those two are shorter than a jump (5 bytes). The bytes are replaced by a jump (and nops) to a stub
// of its own in the buffer's stub area, which steps over the red zone, loads the number as the site
// did, calls the buffer's entry, steps back, runs the displaced instruction after the syscall and
// jumps back after the site. One more shape, whose number is only known when it runs: glibc's
// `syscall(3)` (`mov 0x8(%rsp),%r9; syscall`), which libuv (node) and Rust's std call for close,
// statx and futex: its stub sends the call to the entry, which buffers it or hands it to the tracer
// like any other, except for the calls that must run where the program's own stack is (DIRECT_NRS:
// clone, rt_sigreturn, exec, exit…), which its own `syscall` makes, traced, as the site would have. Found with x86-length.ts from each function's start, like the trapped
// instructions (decoder.ts), and only where no branch of the function lands inside the replaced
// bytes. Cached per file identity on disk, beside the trap sites.
import { readFileSync, statSync } from 'node:fs';
import type { PatchSite } from '../trace/events.js';
import { TrappedInsn } from '../trace/events.js';
import { TraceeError } from '../tracee/errors.js';
import { mapFilesPath, type Mapping } from '../tracee/maps.js';
import type { TaskMemory } from '../tracee/page-batch.js';
import { functionRanges, functionsHolding, isElfFile } from './elf-code.js';
import type { FileIdentity } from './site-cache.js';
import { userCacheDir, writeCacheFile } from '../trace/user-cache.js';
import { BUFFERED_SYSCALLS } from '../syscallbuf/calls.js';
import { decodeRun, Kind, type Insn } from './x86-length.js';
import { JMP_LENGTH as JMP, jumpBytes, LEA_DOWN, LEA_UP, readStubNext, rel32, sameBytes, stubAfter, stubFits, writeStubNext } from './stub-area.js';

/** A site in a file: the replaced bytes are [offset, offset + length), the syscall at offset + sysOff. */
export interface SyscallFileSite {
  offset: number;
  length: number;
  sysOff: number;
}

// The cache holds the sites of BUFFERED_SYSCALLS only: its name says which set (a new call buffered finds new sites).
// FNV-1a of the list: a name, not a secret (node:crypto would cost start-up ~12 ms to load).
const FINDER_VERSION = `4-${fnv1a([...BUFFERED_SYSCALLS].sort((a, b) => a - b).join(','))}`;
/** glibc's syscall(3): its seventh argument loaded from the caller's frame, then `syscall`. */
const ANY_NR_PRE = [0x4c, 0x8b, 0x4c, 0x24, 0x08]; // mov 0x8(%rsp),%r9
/**
 * Calls a stub of an ANY_NR_PRE site makes itself, never through the buffer's entry (which returns
 * on the program's stack by a `ret`, and runs its traced call with that stack pointer moved down):
 * rt_sigreturn, clone, fork, vfork, execve, exit, exit_group, execveat, clone3, and every number
 * from 512 up (x32's and ones no kernel has). Part of the trace format: replay rebuilds the stub.
 */
export const DIRECT_NRS = [15, 56, 57, 58, 59, 60, 231, 322, 435] as const;
const DIRECT_FROM = 512;

/** The instruction after a syscall that may be displaced into the stub: position-independent, no branch. */
function movableAfter(b: Uint8Array, at: number, len: number): boolean {
  if (len === 6 && b[at] === 0x48 && b[at + 1] === 0x3d) return true; // cmp $imm32, %rax
  if (len === 2 && b[at] === 0x85 && b[at + 1] === 0xc0) return true; // test %eax, %eax
  if (len === 3 && (b[at] === 0x48 || b[at] === 0x49) && b[at + 1] === 0x89 && (b[at + 2]! & 0xf8) === 0xc0) return true; // mov %rax, %reg
  return false;
}

/** Whether a site's bytes are glibc's syscall(3)'s: the number is the caller's, known only at run time. */
function anyNrSite(b: Uint8Array, at: number, len: number): boolean {
  return len === ANY_NR_PRE.length + 2 && ANY_NR_PRE.every((x, i) => b[at + i] === x) && b[at + len - 2] === 0x0f && b[at + len - 1] === 0x05;
}

/** The syscall number the instruction before a syscall loads, or null. */
function loadedNr(b: Uint8Array, at: number, len: number): number | null {
  if (len === 5 && b[at] === 0xb8) return b[at + 1]! | (b[at + 2]! << 8) | (b[at + 3]! << 16) | (b[at + 4]! << 24);
  if (len === 2 && b[at] === 0x31 && b[at + 1] === 0xc0) return 0;
  return null;
}

/**
 * An instruction that may stand between the number's load and the syscall, displaced into the stub:
 * a move into a register other than eax, of an immediate (`b9`-`bf imm32`, `41 b8`-`bf imm32`) or of a
 * register (`89 /r`, `31 /r` register forms, with a REX prefix too), as in glibc's
 * `mov $NR,%eax; mov %rdi,%rsi; mov $AT_FDCWD,%edi; syscall` (__open64_nocancel).
 */
function movablePre(b: Uint8Array, at: number, len: number): boolean {
  const op = b[at]!;
  if (len === 5) return op >= 0xb9 && op <= 0xbf;
  if (len === 6) return op === 0x41 && b[at + 1]! >= 0xb8 && b[at + 1]! <= 0xbf;
  const regForm = (o: number, m: number, rexB: boolean): boolean => (o === 0x89 || o === 0x31) && (m & 0xc0) === 0xc0 && (rexB || (m & 7) !== 0);
  if (len === 2) return regForm(op, b[at + 1]!, false);
  if (len === 3) return op >= 0x40 && op <= 0x4f && regForm(b[at + 1]!, b[at + 2]!, (op & 1) === 1);
  return false;
}

/**
 * For a syscall whose instruction before (all[i]) is movablePre: the number a `mov $NR,%eax` up to
 * three instructions earlier loads, when only such moves follow it and no branch lands after it (the
 * number would then depend on the path), else null.
 */
function nrBefore(file: Uint8Array, all: Insn[], i: number, targets: Set<number>): number | null {
  for (let j = i - 1; j >= 0 && j >= i - 3; j--) {
    if (targets.has(all[j + 1]!.at)) return null;
    const ins = all[j]!;
    const at = ins.at;
    if (ins.length === 5 && file[at] === 0xb8) return loadedNr(file, at, 5);
    if (!movablePre(file, at, ins.length)) return null;
  }
  return null;
}

/** The sites of a file's functions (sorted by offset). */
export function findSyscallSites(file: Uint8Array): SyscallFileSite[] {
  const hits: number[] = [];
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  for (let at = buf.indexOf(0x0f); at >= 0 && at + 1 < buf.length; at = buf.indexOf(0x0f, at + 1)) if (buf[at + 1] === 0x05) hits.push(at);
  if (hits.length === 0) return [];
  const functions = functionRanges(file);
  const toDecode = functionsHolding(functions, hits);
  const found = new Map<number, SyscallFileSite>();
  for (const f of toDecode) {
    // The whole function or nothing: a branch from bytes not decoded could land in a site.
    const all = decodeRun(file, 0, f.start, f.end);
    if (!all) continue;
    const targets = new Set<number>();
    for (const i of all) if (i.target >= 0) targets.add(i.target);
    for (let k = 1; k < all.length; k++) {
      const sys = all[k]!;
      if (sys.kind !== Kind.Syscall || sys.length !== 2) continue;
      const pre = all[k - 1]!;
      const offset = pre.at;
      let length = pre.length + 2;
      if (!anyNrSite(file, offset, length)) {
        const nr = loadedNr(file, offset, pre.length) ?? (movablePre(file, offset, pre.length) ? nrBefore(file, all, k - 1, targets) : null);
        if (nr === null || !BUFFERED_SYSCALLS.has(nr)) continue;
      }
      if (length < JMP) {
        const post = all[k + 1];
        if (!post || !movableAfter(file, post.at, post.length)) continue;
        length += post.length;
      }
      let inside = false;
      for (let o = offset + 1; o < offset + length; o++) if (targets.has(o)) inside = true;
      if (!inside) found.set(offset, { offset, length, sysOff: pre.length });
    }
  }
  return [...found.values()].sort((a, b) => a.offset - b.offset);
}

// ---- per-file cache ----------------------------------------------------------------------------

const memory = new Map<string, SyscallFileSite[]>();

function cachePath(id: FileIdentity): string {
  return userCacheDir('sites', `syscall-v${FINDER_VERSION}-${id.dev}-${id.ino}-${id.size}-${id.mtimeNs}.json`);
}

/** The syscall sites of the file at path, from the cache or found now. */
export function syscallSitesOfFile(path: string, id: FileIdentity): SyscallFileSite[] {
  const cp = cachePath(id);
  const hit = memory.get(cp);
  if (hit) return hit;
  try {
    const raw = JSON.parse(readFileSync(cp, 'utf8')) as unknown;
    if (Array.isArray(raw) && raw.every((s) => Array.isArray(s) && s.length === 3 && s.every((v) => Number.isInteger(v)))) {
      const sites = (raw as number[][]).map(([offset, length, sysOff]) => ({ offset: offset!, length: length!, sysOff: sysOff! }));
      memory.set(cp, sites);
      return sites;
    }
  } catch {
    // not cached
  }
  let sites: SyscallFileSite[] = [];
  try {
    if (isElfFile(path)) sites = findSyscallSites(readFileSync(path));
  } catch {
    sites = [];
  }
  memory.set(cp, sites);
  writeCacheFile(cp, JSON.stringify(sites.map((s) => [s.offset, s.length, s.sysOff]))); // unwritten: found again next time
  return sites;
}


// ---- patching ----------------------------------------------------------------------------------


/**
 * An ANY_NR_PRE stub's checks of the number, after its load of r9: to `direct` for numbers from
 * DIRECT_FROM up and for DIRECT_NRS (compared on eax, as the kernel reads the number); `toDirect`:
 * where each jump's rel8 is, relative to the checks' start, left 0 here.
 */
function anyNrChecks(): { bytes: number[]; toDirect: number[] } {
  const bytes: number[] = [];
  const toDirect: number[] = [];
  const cmpEax = (n: number): void => {
    if (n < 0x80) bytes.push(0x83, 0xf8, n);
    else bytes.push(0x3d, n & 0xff, (n >> 8) & 0xff, 0, 0);
  };
  cmpEax(DIRECT_FROM);
  bytes.push(0x73, 0); // jae direct
  toDirect.push(bytes.length - 1);
  for (const n of DIRECT_NRS) {
    cmpEax(n);
    bytes.push(0x74, 0); // je direct
    toDirect.push(bytes.length - 1);
  }
  return { bytes, toDirect };
}
const ANY_NR_CHECKS = anyNrChecks();

/** Where a recorded site's stub calls the buffer's entry (the offset of its e8), as the builders below lay it out. */
function stubCallAt(original: Uint8Array): number {
  if (anyNrSite(original, 0, original.length)) return ANY_NR_PRE.length + ANY_NR_CHECKS.bytes.length + LEA_DOWN.length;
  return LEA_DOWN.length + sysOffOf(original);
}

/**
 * The stub of an ANY_NR_PRE site: its load of r9 with the caller's stack pointer, the checks of the
 * number (anyNrChecks), then the buffer's entry called as a constant site's stub calls it; `direct`:
 * the site's own syscall, then the jump back.
 */
function anyNrStubBytes(addr: bigint, original: Uint8Array, stub: bigint, entry: bigint): Uint8Array | null {
  const checksAt = ANY_NR_PRE.length;
  const out: number[] = [...ANY_NR_PRE, ...ANY_NR_CHECKS.bytes, ...LEA_DOWN];
  const callAt = out.length;
  out.push(0xe8, 0, 0, 0, 0, ...LEA_UP, 0xe9, 0, 0, 0, 0);
  const jmpBack1 = out.length - 4;
  const direct = out.length;
  out.push(0x0f, 0x05, 0xe9, 0, 0, 0, 0);
  const b = new Uint8Array(out);
  const dv = new DataView(b.buffer);
  for (const rel of ANY_NR_CHECKS.toDirect) b[checksAt + rel] = direct - (checksAt + rel + 1);
  const back = addr + BigInt(original.length);
  const call = rel32(stub + BigInt(callAt + 5), entry);
  const jmp1 = rel32(stub + BigInt(jmpBack1 + 4), back);
  const jmp2 = rel32(stub + BigInt(b.length), back);
  if (call === null || jmp1 === null || jmp2 === null) return null;
  dv.setInt32(callAt + 1, call, true);
  dv.setInt32(jmpBack1, jmp1, true);
  dv.setInt32(b.length - 4, jmp2, true);
  return b;
}

/**
 * The address of the syscall instruction of `site` (patched, original bytes known) whose stub's call
 * of the buffer's entry returns to ret, or null when ret is not that return address.
 */
export function siteSyscallOfReturn(site: { addr: bigint; stub?: bigint; original?: Uint8Array }, ret: bigint): bigint | null {
  const original = site.original;
  if (site.stub === undefined || !original) return null;
  return ret === site.stub + BigInt(stubCallAt(original) + 5) ? site.addr + BigInt(sysOffOf(original)) : null;
}

/**
 * A site's code, by its address: its stub (at `stub`) and the jump that replaces it. Every process of a
 * recording loads libc at the same address (ADDR_NO_RANDOMIZE) and patches it first, so its stubs land
 * at the same places too: make -j2 patched the same 187 libc sites 26 times, at record and at replay.
 */
const siteCodes = new Map<bigint, { original: Uint8Array; stub: bigint; entry: bigint; code: { stub: Uint8Array; jump: Uint8Array } | null }>();


/** The stub and the jump of the site at addr (original bytes, syscall at sysOff) with its stub at `stub`, or null when out of reach. */
function siteCode(addr: bigint, original: Uint8Array, sysOff: number, stub: bigint, entry: bigint): { stub: Uint8Array; jump: Uint8Array } | null {
  const known = siteCodes.get(addr);
  if (known && known.stub === stub && known.entry === entry && sameBytes(known.original, original)) return known.code;
  const s = stubBytes(addr, original, sysOff, stub, entry);
  const j = jumpBytes(addr, original.length, stub);
  const code = s && j ? { stub: s, jump: j } : null;
  siteCodes.set(addr, { original: original.slice(), stub, entry, code });
  return code;
}

/** The stub of a site at addr whose original bytes are `original` (syscall at sysOff), placed at stub. */
function stubBytes(addr: bigint, original: Uint8Array, sysOff: number, stub: bigint, entry: bigint): Uint8Array | null {
  if (anyNrSite(original, 0, original.length)) return anyNrStubBytes(addr, original, stub, entry);
  const pre = original.subarray(0, sysOff);
  const post = original.subarray(sysOff + 2);
  const out = [...LEA_DOWN, ...pre, 0xe8, 0, 0, 0, 0, ...LEA_UP, ...post, 0xe9, 0, 0, 0, 0];
  const b = new Uint8Array(out);
  const dv = new DataView(b.buffer);
  const callAt = LEA_DOWN.length + pre.length;
  const call = rel32(stub + BigInt(callAt + 5), entry);
  const jmp = rel32(stub + BigInt(b.length), addr + BigInt(original.length));
  if (call === null || jmp === null) return null;
  dv.setInt32(callAt + 1, call, true);
  dv.setInt32(b.length - 4, jmp, true);
  return b;
}


/** Whether the bytes are a site's shape: the number load (or a move after it), then `syscall` at sysOff. */
function siteShape(bytes: Uint8Array, sysOff: number): boolean {
  if (anyNrSite(bytes, 0, bytes.length)) return true;
  return bytes[sysOff] === 0x0f && bytes[sysOff + 1] === 0x05 && (loadedNr(bytes, 0, sysOff) !== null || movablePre(bytes, 0, sysOff));
}

/** The syscall's offset in a recorded site's original bytes (the length of its first instruction). */
function sysOffOf(original: Uint8Array): number {
  if (anyNrSite(original, 0, original.length)) return ANY_NR_PRE.length;
  const op = original[0]!;
  if (op >= 0xb8 && op <= 0xbf) return 5;
  if (op === 0x41 && original[1]! >= 0xb8 && original[1]! <= 0xbf) return 6;
  return op >= 0x40 && op <= 0x4f ? 3 : 2;
}

/**
 * Patches the syscall sites of the executable file mappings (of `maps`, task tid's) overlapping
 * [start, end), skipping sites already in `patched` and those the stub area cannot reach, reading and
 * writing through `task` (a PageBatch). The process must be stopped (every thread) and have the
 * buffer mapped (its stub area). Returns the sites patched.
 */
export function patchSyscallSites(tid: number, maps: readonly Mapping[], task: TaskMemory, patched: (addr: bigint) => boolean, entry: bigint, start: bigint, end: bigint): PatchSite[] {
  let next = readStubNext(task);
  if (next === null) return [];
  const out: PatchSite[] = [];
  for (const m of maps) {
    if (m.perms[2] !== 'x' || m.perms[3] !== 'p' || !m.name.startsWith('/') || m.end <= start || m.start >= end) continue;
    const path = mapFilesPath(tid, m);
    let st;
    try {
      st = statSync(path, { bigint: true });
    } catch {
      continue;
    }
    const sites = syscallSitesOfFile(path, { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs }).flatMap((s) => {
      const addr = m.start + BigInt(s.offset) - m.offset;
      return addr < m.start || addr + BigInt(s.length) > m.end || addr < start || addr >= end || patched(addr) ? [] : [{ s, addr }];
    });
    if (sites.length === 0) continue;
    task.prefetch?.([...sites.map((x) => x.addr), next]);
    for (const { s, addr } of sites) {
      const original = task.readPartial(addr, s.length);
      if (original.length !== s.length || !siteShape(original, s.sysOff)) continue;
      const code = siteCode(addr, original, s.sysOff, next, entry);
      if (!code || !stubFits(next, code.stub.length)) continue;
      const stub = code.stub;
      task.write(next, stub);
      task.write(addr, code.jump);
      out.push({ addr, insn: TrappedInsn.Syscall, stub: next, original: original.slice() });
      next = stubAfter(next, stub.length);
    }
  }
  if (out.length > 0) writeStubNext(task, next);
  return out;
}

/** Replay: applies a recorded syscall site (same stub address, same bytes); the code must be the recorded code. */
export function applySyscallSite(task: TaskMemory, site: PatchSite, entry: bigint): void {
  const original = site.original!;
  const now = task.readPartial(site.addr, original.length);
  if (now.length !== original.length || now.some((b, i) => b !== original[i])) {
    throw new TraceeError(`the code at 0x${site.addr.toString(16)} is not the syscall site the recording patched there`);
  }
  const code = siteCode(site.addr, original, sysOffOf(original), site.stub!, entry);
  if (!code) throw new TraceeError(`the syscall site at 0x${site.addr.toString(16)} cannot reach its recorded stub`);
  task.write(site.stub!, code.stub);
  task.write(site.addr, code.jump);
  writeStubNext(task, stubAfter(site.stub!, code.stub.length));
}


/** 32-bit FNV-1a of a string's UTF-16 code units, as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
