// Code patcher: an in-process conditional trap for finding a point between landmarks at replay (a
// preemption or a signal the recording placed in user code, identified by rip and every register).
// Without a branch counter, the plain way is an int3 at rip and a register comparison in the tracer at
// every pass: two ptrace stops a pass, hopeless for a loop that passed millions of times. Instead the
// instructions at rip are replaced by a jump to a trampoline that compares the general registers with
// the recorded ones natively and traps (int3) only when they all match; the tracer then compares the
// rest (segment bases, the memory hash). A miss costs about forty instructions, not two stops.
//
// The trampoline touches no program memory (its scratch words live in its own page, so nothing below
// the stack pointer changes) and keeps the flags (lahf/seto). The instructions it displaces are
// re-encoded after it (iced-x86's BlockEncoder fixes rip-relative operands and branches), then it
// jumps back. It is used only where that is provably safe: rip inside a function the file's tables
// list, decoded from the function's start, no direct branch of the function landing inside the
// displaced bytes, and the displaced instructions plain or direct jumps (no call, which would push a
// trampoline address; no trap, syscall, return or indirect jump). Anything else falls back to the
// int3 search.
import { createRequire } from 'node:module';
import { closeSync, fstatSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/mman.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { injectSyscall } from '../tracee/inject.js';
import { mapFilesPath, readMaps, type Mapping } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import { functionAround, functionPairs, readFunctionTables, type Range } from './elf-code.js';
import { cachedBytes, storeBytes, type FileIdentity } from './site-cache.js';

const PROT_RWX = PROT_READ | PROT_WRITE | PROT_EXEC;
const MAP_PRIVATE_ANON_FIXED_NOREPLACE = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
const PAGE = PAGE_SIZE;
const JMP_LEN = 5;

interface IcedInstruction {
  readonly ip: bigint;
  readonly length: number;
  readonly flowControl: number;
  readonly isJccShortOrNear: boolean;
  readonly isJmpShortOrNear: boolean;
  readonly isCallNear: boolean;
  readonly nearBranchTarget: bigint;
  readonly mnemonic: number;
  free(): void;
}
interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => {
    ip: bigint; readonly canDecode: boolean; decode(): IcedInstruction; free(): void;
  };
  BlockEncoder: new (bitness: number, options: number) => { add(i: IcedInstruction): void; encode(rip: bigint): Uint8Array; free(): void };
  Mnemonic: Record<string, number>;
}
let iced: Iced | null = null;
const load = (): Iced => (iced ??= createRequire(import.meta.url)('iced-x86') as Iced);

const FLOW_NEXT = 0;
const FLOW_UNCONDITIONAL = 1;
const FLOW_CONDITIONAL = 3;

/** General registers the trampoline compares, with their x86 register numbers (rax is compared apart). */
const COMPARED: [reg: number, x86: number][] = [
  [R.rcx, 1], [R.rdx, 2], [R.rbx, 3], [R.rsp, 4], [R.rbp, 5], [R.rsi, 6], [R.rdi, 7],
  [R.r8, 8], [R.r9, 9], [R.r10, 10], [R.r11, 11], [R.r12, 12], [R.r13, 13], [R.r14, 14], [R.r15, 15],
];

/** An armed trampoline. The task traps with rip = hitAddr + 1 when the registers match. */
export interface PointTrap {
  readonly hitAddr: bigint;
  /** Puts the displaced bytes back and unmaps the trampoline (the task must be stopped, rip outside it). */
  remove(task: Task): void;
}

/** The function ranges of each file a point was in, by file identity (device, inode, size, mtime). */
const pairsCache = new Map<string, Float64Array>();
/** functionAround's answers for each file (its key in pairsCache) and file offset: a loop's points repeat. */
const aroundCache = new Map<string, Map<number, Range | null>>();

/**
 * The function ranges are kept on disk too (site-cache.ts), as functionPairs' numbers: reading a
 * 99 MB node binary's tables costs each replay of node ~150 ms, its cached 3 MB of pairs ~2 ms.
 */
const PAIRS_KIND = 'functions-v1';

function pairsOnDisk(id: FileIdentity): Float64Array | undefined {
  const bytes = cachedBytes(PAIRS_KIND, id);
  if (!bytes || bytes.length % 16 !== 0) return undefined;
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const copy = new Float64Array(bytes.length / 8);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** Where the point's trap would go: the bytes it would displace, or null where it is not safe. */
function regionFor(task: Task, maps: Mapping[], at: bigint): Region | null {
  const m = maps.find((x) => x.start <= at && at < x.end);
  if (!m || m.perms[2] !== 'x' || !m.name.startsWith('/')) return null;
  // Only in the program's own executable for now: a point in a library (seen in make -j2's tools)
  // was once missed, and the plain search is right there, if slower.
  let exe = '';
  try { exe = readlinkSync(`/proc/${task.tid}/exe`); } catch { return null; }
  if (m.name !== exe) return null;
  const fn = functionAt(task, m, at);
  return fn ? displacedRegion(task, fn, at) : null;
}

/**
 * The bytes a trap for the point at rip `at` would replace ([start, end)), or null where no trap
 * can be armed. A task standing strictly inside them must be taken out before the trap is armed.
 */
export function pointTrapBytes(task: Task, at: bigint): { start: bigint; end: bigint } | null {
  const region = regionFor(task, readMaps(task.tid), at);
  if (!region) return null;
  for (const i of region.all) i.free();
  return { start: region.start, end: region.start + BigInt(region.length) };
}

/** Arms a trampoline for the point (rip and registers in target), or returns null where it is not safe. */
export function armPointTrap(task: Task, target: BigUint64Array): PointTrap | null {
  const at = target[R.rip]!;
  const maps = readMaps(task.tid);
  const region = regionFor(task, maps, at);
  if (!region) return null;
  const rip = task.fetchRegs()[R.rip]!;
  if (rip > region.start && rip < region.start + BigInt(region.length)) {
    for (const i of region.all) i.free();
    return null; // the task would resume in the middle of the jump
  }
  const x = load();
  let page: bigint | null = null;
  let tramp: { code: Uint8Array; hitAt: number };
  try {
    page = allocateNear(task, maps, at);
    if (page === null) return null;
    tramp = buildTrampoline(x, page, target, region);
  } catch {
    if (page !== null) injectSyscall(task, SYS.munmap, [page, PAGE]);
    return null;
  } finally {
    for (const i of region.all) i.free();
  }
  task.write(page, tramp.code);
  const original = task.read(region.start, region.length);
  const jump = new Uint8Array(region.length).fill(0x90);
  jump[0] = 0xe9;
  new DataView(jump.buffer).setInt32(1, Number(page - (region.start + BigInt(JMP_LEN))), true);
  task.write(region.start, jump);
  const mapped = page;
  return {
    hitAddr: mapped + BigInt(tramp.hitAt),
    remove(t: Task): void {
      t.write(region.start, original);
      injectSyscall(t, SYS.munmap, [mapped, PAGE]);
    },
  };
}

/**
 * The function (as file ranges say) holding addr, as an address range. The mapped file's function
 * ranges are read from its tables only (not its code: a 99 MB node binary is 7 MB of tables), once
 * per file identity, and kept as pairs of numbers for later points.
 */
function functionAt(task: Task, m: Mapping, addr: bigint): { start: bigint; end: bigint } | null {
  const path = mapFilesPath(task.tid, m);
  let pairs: Float64Array | undefined;
  let key: string;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd, { bigint: true });
    key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    pairs = pairsCache.get(key) ?? pairsOnDisk(st);
    if (pairs) pairsCache.set(key, pairs);
    else {
      const readAt = (buf: Uint8Array, pos: number) => {
        for (let done = 0; done < buf.length;) {
          const n = readSync(fd, buf, done, buf.length - done, pos + done);
          if (n <= 0) throw new Error(`short read of ${path}`);
          done += n;
        }
      };
      pairs = functionPairs(readFunctionTables(Number(st.size), readAt) ?? readFileSync(fd));
      pairsCache.set(key, pairs);
      storeBytes(PAIRS_KIND, st, new Uint8Array(pairs.buffer, pairs.byteOffset, pairs.byteLength));
    }
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const off = Number(addr - m.start + m.offset);
  let around = aroundCache.get(key);
  if (!around) aroundCache.set(key, (around = new Map()));
  let best = around.get(off);
  if (best === undefined) around.set(off, (best = functionAround(pairs, off)));
  if (!best) return null;
  const base = m.start - m.offset;
  return { start: base + BigInt(best.start), end: base + BigInt(best.end) };
}

/** The instructions displaced by the jump: [start, start + length), holding the point at `pre`'s end. */
interface Region {
  start: bigint;
  length: number;
  /** Displaced instructions before the point, and from the point on. */
  pre: IcedInstruction[];
  post: IcedInstruction[];
  /** Every decoded instruction of the function (to free). */
  all: IcedInstruction[];
}

/**
 * Decodes fn from its start and picks whole instructions around addr covering JMP_LEN bytes: from
 * addr itself if possible, else starting up to three instructions earlier. Safe only if no direct
 * branch of the function lands strictly inside the region (so nothing jumps into the bytes the jump
 * replaces, addr included when it is not the region's start) and every displaced instruction is
 * plain or a direct jump.
 */
function displacedRegion(task: Task, fn: { start: bigint; end: bigint }, addr: bigint): Region | null {
  const bytes = task.readPartial(fn.start, Number(fn.end - fn.start));
  if (bytes.length !== Number(fn.end - fn.start)) return null;
  return regionOf(bytes, fn, addr);
}

/** Where a trap for the point at `addr` goes in the function whose code is `bytes` (exported for tests): [start, start + length), or null. */
export function trapRegionOf(bytes: Uint8Array, fn: { start: bigint; end: bigint }, addr: bigint): { start: bigint; length: number } | null {
  const region = regionOf(bytes, fn, addr);
  if (!region) return null;
  for (const i of region.all) i.free();
  return { start: region.start, length: region.length };
}

function regionOf(bytes: Uint8Array, fn: { start: bigint; end: bigint }, addr: bigint): Region | null {
  const x = load();
  const decoder = new x.Decoder(64, bytes, 0);
  const all: IcedInstruction[] = [];
  const targets: bigint[] = [];
  try {
    decoder.ip = fn.start;
    while (decoder.canDecode) {
      const i = decoder.decode();
      all.push(i);
      if (i.isJccShortOrNear || i.isJmpShortOrNear || i.isCallNear) targets.push(i.nearBranchTarget);
    }
  } finally {
    decoder.free();
  }
  const fail = () => {
    for (const i of all) i.free();
    return null;
  };
  const point = all.findIndex((i) => i.ip === addr);
  if (point < 0) return fail();
  const movable = (i: IcedInstruction) => i.mnemonic !== x.Mnemonic['Ud2'] && i.mnemonic !== x.Mnemonic['Syscall']
    && (i.flowControl === FLOW_NEXT || ((i.isJccShortOrNear || i.isJmpShortOrNear) && (i.flowControl === FLOW_CONDITIONAL || i.flowControl === FLOW_UNCONDITIONAL)));
  // Reached only by a jump (after padding or an unconditional jump), maybe an indirect one (a
  // switch's table): such an instruction may start the region, never lie inside it.
  const jumpedTo = (j: number) => {
    const before = all[j - 1];
    return before !== undefined && (before.mnemonic === x.Mnemonic['Nop'] || (before.flowControl !== FLOW_NEXT && before.flowControl !== FLOW_CONDITIONAL));
  };
  for (let first = point; first >= 0 && first >= point - 3; first--) {
    let length = 0;
    let k = first;
    // At least the jump's bytes, and up to the point: the instructions before it run in the
    // trampoline, which jumps back to the region's end.
    for (; k < all.length && (length < JMP_LEN || k < point); k++) length += all[k]!.length;
    if (length < JMP_LEN || k < point) continue;
    let entered = false;
    for (let j = first + 1; j < k && !entered; j++) entered = jumpedTo(j);
    if (entered) continue;
    const region = all.slice(first, k);
    const start = all[first]!.ip;
    const end = start + BigInt(length);
    if (!region.every(movable)) continue;
    // Starting before the point, the point must be reached from the region's start by falling through:
    // a point after a jump or return is reached only by jumps, maybe indirect ones (a switch's table),
    // which would land inside the displaced bytes.
    if (all.slice(first, point).some((i) => i.flowControl !== FLOW_NEXT && i.flowControl !== FLOW_CONDITIONAL)) continue;
    if (targets.some((t) => t > start && t < end)) continue;
    // A jump before the point inside the region would skip the comparison: allowed, that pass is
    // simply not the point. The region must end inside the function.
    if (end > fn.end) continue;
    return { start, length, pre: all.slice(first, point), post: all.slice(point, k), all };
  }
  return fail();
}

/** A free page within ±1.5 GiB of addr, not where the stack grows, mapped RWX (removed before the program goes on). */
function allocateNear(task: Task, maps: Mapping[], addr: bigint): bigint | null {
  const reach = 3n << 29n;
  const margin = 16n * PAGE;
  const candidates: bigint[] = [];
  for (let i = 0; i < maps.length; i++) {
    const below = maps[i - 1];
    const above = maps[i]!;
    const gapStart = below ? below.end : 0x10000n;
    if (above.start - gapStart < 2n * margin + PAGE) continue;
    candidates.push(gapStart + margin);
    if (above.name !== '[stack]') candidates.push(above.start - margin - PAGE);
  }
  const dist = (c: bigint) => (c > addr ? c - addr : addr - c);
  candidates.sort((a, b) => (dist(a) < dist(b) ? -1 : dist(a) > dist(b) ? 1 : 0));
  for (const c of candidates.slice(0, 4)) {
    if (dist(c) > reach) break;
    const r = injectSyscall(task, SYS.mmap, [c, PAGE, PROT_RWX, MAP_PRIVATE_ANON_FIXED_NOREPLACE, -1n, 0n]);
    if (r === c) return c;
    if (r >= 0n) injectSyscall(task, SYS.munmap, [r, PAGE]);
  }
  return null;
}

/**
 * The trampoline at `page`:
 *   the displaced instructions before the point, re-encoded
 *   mov [S_RAX], rax; lahf; seto al; mov [S_FLAGS], ax         save rax and the flags, nothing on the stack
 *   (mov rax, imm64; cmp reg, rax; jne miss) for each register
 *   mov rax, imm64; cmp rax, [S_RAX]; jne miss                 rax itself
 *   restore; int3; jmp post                                    all equal: trap (the tracer checks the rest)
 * miss:
 *   restore
 * post:
 *   the displaced instructions from the point on, re-encoded; jmp back
 * restore = mov ax, [S_FLAGS]; add al, 0x7f; sahf; mov rax, [S_RAX]   (OF from al, the rest from ah)
 * The scratch words sit at the end of the page. Re-encoded jumps keep their targets.
 */
function buildTrampoline(x: Iced, page: bigint, target: BigUint64Array, region: Region): { code: Uint8Array; hitAt: number } {
  const encode = (list: IcedInstruction[], at: number): number[] => {
    if (list.length === 0) return [];
    const enc = new x.BlockEncoder(64, 0);
    try {
      for (const i of list) enc.add(i);
      return [...enc.encode(page + BigInt(at))];
    } finally {
      enc.free();
    }
  };
  const out: number[] = encode(region.pre, 0);
  const S_RAX = 4096 - 16;
  const S_FLAGS = 4096 - 8;
  const ripRel = (opcode: number[], scratch: number) => {
    out.push(...opcode);
    pushI32(out, scratch - (out.length + 4));
  };
  const movImm64Rax = (v: bigint) => {
    out.push(0x48, 0xb8);
    for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
  };
  const missJumps: number[] = [];
  const jne = () => {
    out.push(0x0f, 0x85, 0, 0, 0, 0);
    missJumps.push(out.length - 4);
  };
  const restore = () => {
    ripRel([0x66, 0x8b, 0x05], S_FLAGS); // mov ax, [S_FLAGS]
    out.push(0x04, 0x7f); // add al, 0x7f
    out.push(0x9e); // sahf
    ripRel([0x48, 0x8b, 0x05], S_RAX); // mov rax, [S_RAX]
  };
  ripRel([0x48, 0x89, 0x05], S_RAX); // mov [S_RAX], rax
  out.push(0x9f); // lahf
  out.push(0x0f, 0x90, 0xc0); // seto al
  ripRel([0x66, 0x89, 0x05], S_FLAGS); // mov [S_FLAGS], ax
  for (const [reg, n] of COMPARED) {
    movImm64Rax(target[reg]!);
    out.push(0x48 | (n >= 8 ? 1 : 0), 0x39, 0xc0 | (n & 7)); // cmp reg, rax
    jne();
  }
  movImm64Rax(target[R.rax]!);
  ripRel([0x48, 0x3b, 0x05], S_RAX); // cmp rax, [S_RAX]
  jne();
  restore();
  const hitAt = out.length;
  out.push(0xcc); // int3
  out.push(0xe9, 0, 0, 0, 0); // jmp post
  const jmpPost = out.length - 4;
  const missAt = out.length;
  restore();
  const postAt = out.length;
  for (const j of missJumps) setI32(out, j, missAt - (j + 4));
  setI32(out, jmpPost, postAt - (jmpPost + 4));
  out.push(...encode(region.post, postAt));
  const back = region.start + BigInt(region.length);
  out.push(0xe9);
  pushI32(out, Number(back - (page + BigInt(out.length + 4))));
  if (out.length > S_RAX) throw new Error('trampoline too long');
  return { code: new Uint8Array(out), hitAt };
}

function pushI32(out: number[], v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  out.push(...b);
}

function setI32(out: number[], at: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  for (let i = 0; i < 4; i++) out[at + i] = b[i]!;
}
