// Code patcher: an in-process conditional trap for finding a point between landmarks at replay (a
// preemption or a signal the recording placed in user code, identified by rip and every register).
// Without a branch counter, the plain way is an int3 at rip and a register comparison in the tracer at
// every pass: two ptrace stops a pass, hopeless for a loop that passed millions of times. Instead the
// instructions at rip are replaced by a jump to a trampoline that compares the general registers with
// the recorded ones natively and traps (int3) only when they all match; the tracer then compares the
// rest (segment bases, the memory hash). A miss costs about forty instructions, not two stops.
//
// Preferably the jump displaces the point's own instruction and nothing else: a two-byte short jump
// there goes to a five-byte jump on an island, which goes on to the trampoline. The island is padding
// no code runs (between two functions the file's tables list, or after an unconditional transfer), or
// where there is none within a short jump, the tail of a neighbour's bytes: ten or more bytes of
// instructions that move to a trampoline of their own (a five-byte jump there, and back after them),
// so the bytes after that jump run no more. Nothing can then jump into the middle of the point's
// displaced bytes (a cold part's jump back into its function, a switch's table, which no decoding of
// one function sees), and a loop head followed by the jump target of the loop's test gets a trap.
// Where the point's instruction is a single byte, or no island is found, a five-byte jump displaces
// the instructions around it.
//
// The trampoline touches no program memory (its scratch words live in its own page, so nothing below
// the stack pointer changes) and keeps the flags (lahf/seto). The instructions it displaces are
// re-encoded after it (x86-length.ts: rip-relative displacements moved, jumps and conditional
// branches given 32-bit displacements to their old targets), then it jumps back. It is used only where that is provably safe: rip inside a function the file's tables
// list, decoded from the function's start, no direct branch of the function landing inside the
// displaced bytes (nor, when they start before the point, on the point itself: that pass would skip
// the comparison), and the displaced instructions plain or direct jumps (no call, which would push a
// trampoline address; no trap, syscall, return or indirect jump). Anything else falls back to the
// int3 search.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/mman.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { pendingMemoryRanges } from '../syscallbuf/install.js';
import { readLayout } from '../tracee/address-space.js';
import { injectSyscall } from '../tracee/inject.js';
import { mapFilesPath, readMaps, type Mapping } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import { FunctionIndex, functionPairs, readFunctionTables } from './elf-code.js';
import { cachedBytes, storeBytes, type FileIdentity } from './site-cache.js';
import { jumpBytes } from './stub-area.js';
import { decodeRun, Flow, Kind, relocate, type Insn } from './x86-length.js';

const PROT_RWX = PROT_READ | PROT_WRITE | PROT_EXEC;
const MAP_PRIVATE_ANON_FIXED_NOREPLACE = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
const PAGE = PAGE_SIZE;
const JMP_LEN = 5;
const SHORT_JMP_LEN = 2;
/** Padding further than this from a function (or a function's edge) is not looked for. */
const PAD_WINDOW = 64;

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

/** A function and the padding around it ([before, start) and [end, after)), as file offsets or addresses. */
interface Span<T> {
  readonly start: T;
  readonly end: T;
  readonly before: T;
  readonly after: T;
}
/**
 * The function ranges of each file a point was in, by file identity (device, inode, size, mtime), and
 * functionAt's answers by file offset (a loop's points repeat).
 */
const fileFunctions = new Map<string, { index: FunctionIndex; around: Map<number, Span<number> | null> }>();

/**
 * The function ranges are kept on disk too (site-cache.ts), as functionPairs' numbers sorted by start
 * (FunctionIndex.sort): reading a 99 MB node binary's tables costs each replay of node ~150 ms, its
 * cached 3 MB of pairs ~3 ms.
 */
const PAIRS_KIND = 'functions-v2';

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
  const fn = functionAt(task, m, at);
  return fn ? displacedRegion(task, fn, at) : null;
}

/** Where a point's trap goes, decided once (the function decoded once): then armed, or not. */
export interface PointTrapPlan {
  /** The bytes the trap replaces, each [start, end): a task standing strictly inside them must be taken out before arm(). */
  readonly ranges: readonly { readonly start: bigint; readonly end: bigint }[];
  /** Arms the trampoline for the point (rip and registers in target), or returns null where it cannot. */
  arm(task: Task, target: BigUint64Array): PointTrap | null;
  /** Lets the decoded instructions go (after arm, or instead of it). */
  discard(): void;
}

/** Where a trap for the point at rip `at` would go, or null where no trap can be armed safely. */
export function planPointTrap(task: Task, at: bigint): PointTrapPlan | null {
  const maps = readMaps(task.tid);
  const region = regionFor(task, maps, at);
  if (!region) return null;
  let live = true;
  const ranges = [{ start: region.start, end: region.start + BigInt(region.length) }];
  if (region.relocated) ranges.push({ start: region.relocated.start, end: region.relocated.start + BigInt(region.relocated.length) });
  return {
    ranges,
    arm: (t, target) => (live ? armAt(t, maps, region, target) : null),
    discard(): void {
      live = false;
    },
  };
}

function armAt(task: Task, maps: Mapping[], region: Region, target: BigUint64Array): PointTrap | null {
  const at = target[R.rip]!;
  const rip = task.fetchRegs()[R.rip]!;
  const inside = (start: bigint, length: number) => rip > start && rip < start + BigInt(length);
  if (at !== region.point || inside(region.start, region.length) || (region.relocated && inside(region.relocated.start, region.relocated.length))) {
    return null; // not this plan's point, or the task would resume in the middle of a jump
  }
  let page: bigint | null = null;
  let tramp: { code: Uint8Array; hitAt: number; relocatedAt: number };
  try {
    page = allocateNear(task, maps, at);
    if (page === null) return null;
    tramp = buildTrampoline(page, target, region);
  } catch {
    if (page !== null) injectSyscall(task, SYS.munmap, [page, PAGE]);
    return null;
  }
  task.write(page, tramp.code);
  /** A jump at `from` to `to` (the page is within reach: allocateNear), the rest of `length` bytes nops. */
  const jumpTo = (from: bigint, to: bigint, length: number): Uint8Array => jumpBytes(from, length, to)!;
  // Every changed range with its bytes before, put back in reverse order.
  const saved: [bigint, Uint8Array][] = [];
  const put = (addr: bigint, bytes: Uint8Array) => {
    saved.push([addr, task.read(addr, bytes.length)]);
    task.write(addr, bytes);
  };
  const island = region.island;
  const moved = region.relocated;
  if (moved) {
    // The neighbour's jump to its own trampoline, then the island (nothing runs its bytes now).
    const bytes = jumpTo(moved.start, page + BigInt(tramp.relocatedAt), moved.length);
    bytes.set(jumpTo(island!, page, JMP_LEN), JMP_LEN);
    put(moved.start, bytes);
  } else if (island !== undefined) {
    put(island, jumpTo(island, page, JMP_LEN));
  }
  if (island === undefined) {
    put(region.start, jumpTo(region.start, page, region.length));
  } else {
    const short = new Uint8Array(region.length).fill(0x90);
    short[0] = 0xeb;
    short[1] = Number(island - (region.start + BigInt(SHORT_JMP_LEN))) & 0xff;
    put(region.start, short);
  }
  const mapped = page;
  return {
    hitAddr: mapped + BigInt(tramp.hitAt),
    remove(t: Task): void {
      for (const [addr, bytes] of saved.reverse()) t.write(addr, bytes);
      injectSyscall(t, SYS.munmap, [mapped, PAGE]);
    },
  };
}

/**
 * The function (as file ranges say) holding addr, as an address range. The mapped file's function
 * ranges are read from its tables only (not its code: a 99 MB node binary is 7 MB of tables), once
 * per file identity, and kept as pairs of numbers for later points.
 */
function functionAt(task: Task, m: Mapping, addr: bigint): Span<bigint> | null {
  const path = mapFilesPath(task.tid, m);
  let file: { index: FunctionIndex; around: Map<number, Span<number> | null> } | undefined;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    file = fileFunctions.get(key);
    let pairs = file ? undefined : pairsOnDisk(st);
    if (!file && !pairs) {
      const readAt = (buf: Uint8Array, pos: number) => {
        for (let done = 0; done < buf.length;) {
          const n = readSync(fd, buf, done, buf.length - done, pos + done);
          if (n <= 0) throw new Error(`short read of ${path}`);
          done += n;
        }
      };
      pairs = FunctionIndex.sort(functionPairs(readFunctionTables(Number(st.size), readAt) ?? readFileSync(fd)));
      storeBytes(PAIRS_KIND, st, new Uint8Array(pairs.buffer, pairs.byteOffset, pairs.byteLength));
    }
    if (!file) fileFunctions.set(key, (file = { index: new FunctionIndex(pairs!), around: new Map() }));
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const off = Number(addr - m.start + m.offset);
  let best = file.around.get(off);
  if (best === undefined) {
    const fn = file.index.around(off);
    best = fn && { ...fn, ...file.index.padding(fn, PAD_WINDOW) };
    file.around.set(off, best);
  }
  if (!best) return null;
  const base = m.start - m.offset;
  const at = (o: number) => base + BigInt(o);
  // Padding outside the mapping (another segment's) is not looked at.
  const before = at(best.before) >= m.start ? at(best.before) : at(best.start);
  const after = at(best.after) <= m.end ? at(best.after) : at(best.end);
  return { start: at(best.start), end: at(best.end), before, after };
}

/**
 * The instructions displaced by the jump: [start, start + length), holding the point at `pre`'s end.
 * With `island`, the point's instruction alone, replaced by a short jump to the five-byte jump at
 * `island`, in padding.
 */
interface Region {
  start: bigint;
  length: number;
  /** The point's address. */
  point: bigint;
  island?: bigint;
  /**
   * Where the island is the tail of a neighbour's displaced bytes: those bytes [start, start + length),
   * whose instructions run in a trampoline of their own.
   */
  relocated?: { start: bigint; length: number; instrs: Insn[] };
  /** Displaced instructions before the point, and from the point on. */
  pre: Insn[];
  post: Insn[];
  /** The code the instructions were decoded from, and its address. */
  code: Uint8Array;
  base: number;
}

/**
 * Decodes fn from its start and picks whole instructions around addr covering JMP_LEN bytes: from
 * addr itself if possible, else starting up to three instructions earlier. Safe only if no direct
 * branch of the function lands strictly inside the region (so nothing jumps into the bytes the jump
 * replaces, addr included when it is not the region's start) and every displaced instruction is
 * plain or a direct jump.
 */
function displacedRegion(task: Task, fn: Span<bigint>, addr: bigint): Region | null {
  const bytes = task.readPartial(fn.before, Number(fn.after - fn.before));
  if (bytes.length === Number(fn.after - fn.before)) return regionOf(bytes, fn, addr);
  const own = task.readPartial(fn.start, Number(fn.end - fn.start));
  if (own.length !== Number(fn.end - fn.start)) return null;
  return regionOf(own, { ...fn, before: fn.start, after: fn.end }, addr);
}

/**
 * Where a trap for the point at `addr` goes in the function fn, `bytes` being the code from fn.before
 * to fn.after (exported for tests): the displaced bytes [start, start + length) and the padding the
 * short jump goes to, if any; or null.
 */
export function trapRegionOf(bytes: Uint8Array, fn: Span<bigint>, addr: bigint):
  { start: bigint; length: number; island?: bigint; moved?: { start: bigint; length: number } } | null {
  const region = regionOf(bytes, fn, addr);
  if (!region) return null;
  return {
    start: region.start, length: region.length,
    ...(region.island !== undefined ? { island: region.island } : {}),
    ...(region.relocated ? { moved: { start: region.relocated.start, length: region.relocated.length } } : {}),
  };
}

/** Ends control's straight path: the next instruction is reached only by a jump (or a return). */
function transfers(i: Insn): boolean {
  return i.flow === Flow.Jump || i.flow === Flow.IndirectJump || i.flow === Flow.Return || i.flow === Flow.Exception;
}

/** Padding: nops and int3s. */
function filler(i: Insn): boolean {
  return i.kind === Kind.Nop || i.kind === Kind.Int3;
}

/**
 * Runs of padding in and around the function that no code runs, as [start, end) address pairs: a gap
 * between fn and the function before or after it when it decodes as nothing but nops and int3s, and
 * inside fn, nops and int3s after an unconditional transfer that no branch of fn lands in.
 */
function paddingRuns(bytes: Uint8Array, fn: Span<number>, all: Insn[], targets: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const [from, to] of [[fn.before, fn.start], [fn.end, fn.after]] as const) {
    if (to - from < JMP_LEN) continue;
    const gap = decodeRun(bytes, fn.before, from, to);
    if (gap && gap.every(filler)) runs.push([from, to]);
  }
  for (let j = 1; j < all.length; j++) {
    if (!transfers(all[j - 1]!)) continue;
    let k = j;
    while (k < all.length && filler(all[k]!)) k++;
    const start = all[j]!.at;
    const end = k < all.length ? all[k]!.at : fn.end;
    if (end - start >= JMP_LEN && !targets.some((t) => t >= start && t < end)) runs.push([start, end]);
    j = k;
  }
  return runs;
}

function regionOf(bytes: Uint8Array, span: Span<bigint>, point64: bigint): Region | null {
  const fn: Span<number> = { start: Number(span.start), end: Number(span.end), before: Number(span.before), after: Number(span.after) };
  const addr = Number(point64);
  const all = decodeRun(bytes, fn.before, fn.start, fn.end);
  if (!all) return null;
  const targets: number[] = [];
  for (const i of all) if (i.target >= 0) targets.push(i.target);
  const point = all.findIndex((i) => i.at === addr);
  if (point < 0) return null;
  const movable = (i: Insn) => i.kind !== Kind.Ud2 && i.kind !== Kind.Syscall
    && (i.flow === Flow.Next || i.flow === Flow.Conditional || i.flow === Flow.Jump);
  // Reached only by a jump (after padding or an unconditional jump), maybe an indirect one (a
  // switch's table): such an instruction may start a region, never lie inside it.
  const jumpedTo = (j: number) => {
    const before = all[j - 1];
    return before !== undefined && (before.kind === Kind.Nop || (before.flow !== Flow.Next && before.flow !== Flow.Conditional && before.flow !== Flow.Loop));
  };
  const made = (start: number, length: number, extra: Partial<Region>, pre: Insn[], post: Insn[]): Region =>
    ({ start: BigInt(start), length, point: point64, pre, post, code: bytes, base: fn.before, ...extra });
  /** The end index of whole instructions from `first` covering `min` bytes that may all be moved elsewhere, or -1. */
  const movableRun = (first: number, min: number): number => {
    let length = 0;
    let k = first;
    for (; k < all.length && length < min; k++) length += all[k]!.length;
    if (length < min) return -1;
    const start = all[first]!.at;
    const end = start + length;
    for (let j = first; j < k; j++) if (!movable(all[j]!) || (j > first && jumpedTo(j))) return -1;
    if (end > fn.end || targets.some((t) => t > start && t < end)) return -1;
    return k;
  };
  const own = all[point]!;
  if (own.length >= SHORT_JMP_LEN && movable(own)) {
    // The short jump's rel8 counts from its end; the island's five bytes must lie within reach.
    const from = addr + SHORT_JMP_LEN;
    const reachable = (island: number) => island >= from - 128 && island <= from + 127;
    for (const [start, end] of paddingRuns(bytes, fn, all, targets)) {
      const island = start > from - 128 ? start : from - 128;
      if (island + JMP_LEN <= end && reachable(island)) {
        return made(addr, own.length, { island: BigInt(island) }, [], [own]);
      }
    }
    // No padding near: a neighbour's instructions, at least ten bytes of them, are moved to a
    // trampoline of their own (a five-byte jump there and back), and the bytes after that jump,
    // which nothing runs any more, are the island. The neighbour obeys the rules of a region.
    for (let d = 1; d < all.length; d++) {
      for (const first of [point + d, point - d]) {
        if (first < 0 || first >= all.length) continue;
        const k = movableRun(first, 2 * JMP_LEN);
        if (k < 0) continue;
        const start = all[first]!.at;
        const end = all[k - 1]!.at + all[k - 1]!.length;
        if (start < addr + own.length && end > addr) continue;
        const island = start + JMP_LEN;
        if (!reachable(island)) continue;
        const relocated = { start: BigInt(start), length: end - start, instrs: all.slice(first, k) };
        return made(addr, own.length, { island: BigInt(island), relocated }, [], [own]);
      }
      const after = all[Math.min(point + d, all.length - 1)]!.at - addr;
      const before = addr - all[Math.max(point - d, 0)]!.at;
      if (after > 160 && before > 160) break;
    }
  }
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
    const start = all[first]!.at;
    const end = start + length;
    if (!region.every(movable)) continue;
    // Starting before the point, the point must be reached from the region's start by falling through:
    // a point after a jump or return is reached only by jumps, maybe indirect ones (a switch's table),
    // which would land inside the displaced bytes.
    if (all.slice(first, point).some((i) => i.flow !== Flow.Next && i.flow !== Flow.Conditional)) continue;
    if (targets.some((t) => t > start && t < end)) continue;
    // Nor may the point be reached other than through the region's start: the comparison runs in the
    // trampoline, so a branch to the point itself (the region then ends there), or an indirect jump to
    // a point after padding, would pass it unseen (cc1: `mov $1,%eax; ret` with a jne to the ret).
    if (first < point && (targets.includes(addr) || jumpedTo(point))) continue;
    // A jump before the point inside the region would skip the comparison: allowed, that pass is
    // simply not the point. The region must end inside the function.
    if (end > fn.end) continue;
    return made(start, length, {}, all.slice(first, point), all.slice(point, k));
  }
  return null;
}

/**
 * A free page within ±1.5 GiB of addr, mapped RWX (removed before the program goes on); not where the
 * stack grows, nor where the heap does: from the heap's start (the program's initial break) up to the
 * next mapping. The program runs while the trap waits, and at replay the syscall buffer runs its
 * recorded brk calls for real: a page above the heap would make one fail that succeeded when recorded;
 * nor where the buffer's records still to be used map or unmap memory.
 */
function allocateNear(task: Task, maps: Mapping[], addr: bigint): bigint | null {
  const reach = 3n << 29n;
  const margin = 16n * PAGE;
  const heapStart = readLayout(task.tgid).startBrk;
  const heapCeiling = maps.find((m) => m.start > heapStart && m.name !== '[heap]')?.start ?? 1n << 64n;
  const inHeapRoom = (page: bigint) => page + PAGE > heapStart && page < heapCeiling;
  const candidates: bigint[] = [];
  for (let i = 0; i < maps.length; i++) {
    const below = maps[i - 1];
    const above = maps[i]!;
    const gapStart = below ? below.end : 0x10000n;
    if (above.start - gapStart < 2n * margin + PAGE) continue;
    candidates.push(gapStart + margin);
    if (above.name !== '[stack]') candidates.push(above.start - margin - PAGE);
  }
  // Nor where a buffered call the task is to make before the point maps, unmaps or reprotects
  // memory: it runs for real at replay, at the recorded address (an mmap would find the page there).
  const pending = pendingMemoryRanges(task);
  const inPending = (page: bigint) => pending.some(([start, end]) => page + PAGE > start && page < end);
  const usable = candidates.filter((c) => !inHeapRoom(c) && !inPending(c));
  const dist = (c: bigint) => (c > addr ? c - addr : addr - c);
  usable.sort((a, b) => (dist(a) < dist(b) ? -1 : dist(a) > dist(b) ? 1 : 0));
  for (const c of usable.slice(0, 4)) {
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
function buildTrampoline(page: bigint, target: BigUint64Array, region: Region): { code: Uint8Array; hitAt: number; relocatedAt: number } {
  const encode = (list: Insn[], at: number): number[] => {
    const out: number[] = [];
    for (const i of list) {
      const moved = relocate(region.code, region.base, i, Number(page) + at + out.length);
      if (!moved) throw new Error(`the instruction at 0x${i.at.toString(16)} cannot be moved`);
      out.push(...moved);
    }
    return out;
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
  const jumpBack = (to: bigint) => {
    out.push(0xe9);
    pushI32(out, Number(to - (page + BigInt(out.length + 4))));
  };
  jumpBack(region.start + BigInt(region.length));
  // A neighbour's instructions moved for the island: run there, then back after their bytes.
  const relocatedAt = out.length;
  if (region.relocated) {
    out.push(...encode(region.relocated.instrs, relocatedAt));
    jumpBack(region.relocated.start + BigInt(region.relocated.length));
  }
  if (out.length > S_RAX) throw new Error('trampoline too long');
  return { code: new Uint8Array(out), hitAt, relocatedAt };
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
