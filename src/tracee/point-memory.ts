// Traced-process model: the memory that identifies a point between landmarks (a preemption, a signal
// delivered at an arbitrary instruction) together with rip and the registers. A loop whose state lives
// only in memory (`while (!stop) n++;` with n volatile, global or on the stack) shows the same registers
// at every pass; a hash of the memory that state lives in tells the passes apart.
//
// What is hashed, in order:
//  1. the top of the stack: STACK_WINDOW bytes from rsp, cut at the end of the mapping holding rsp.
//     512 bytes hold the current frame and usually its callers' locals (an -O0 loop counter sits a few
//     bytes above rsp), and cost one small read per comparison. Left out: in each signal frame the
//     window holds (a handler with a small frame, or a task about to return through the restorer), the
//     saved EFLAGS and the fields the kernel fills from the thread's last fault (err, trapno, cr2):
//     rewind's own traps and steps make them differ between record and replay;
//  2. the main executable's writable private memory: its rw-p mappings (.data, .got, .bss in the
//     file's last page) and the anonymous rw-p mapping that directly follows them (the rest of .bss),
//     where global and static variables live. At most IMAGE_CAP bytes (1 MiB), in address order, so a
//     program with a huge .bss is still cheap to compare (its first MiB is hashed).
//  3. writable shared memory (rw-s mappings: MAP_SHARED anonymous memory, memfd and file mappings),
//     where processes that share it keep counters and flags: at most SHARED_CAP bytes, in address
//     order, each mapping cut where it stops being readable (a file mapping past the file's end).
// Memory belonging to libraries, the heap and other mappings is not hashed: it is bigger and the
// points that need memory to be told apart are overwhelmingly loops over a program's own variables.
//
// The hash is the first 8 bytes (little-endian) of SHA-256 over the ranges' bytes: node:crypto runs it
// natively at ~1.5 GB/s here (≈6 µs for 8.5 KiB), 2–3 times faster than
// FNV-1a written in JavaScript.
import { readlinkSync } from 'node:fs';
import { R } from '../kernel/regs.js';
import { SIZEOF_LONG, SIZEOF_PTR, Struct } from '../kernel/structs.js';
import { SYS } from '../kernel/syscall-names.js';
import { SYSCALL_INSN } from '../kernel/x86-insn.js';
import type { MemRange, PointMemory } from '../trace/events.js';
import { sha256 } from '../trace/sha256.js';
import { type Mapping, readMaps } from './maps.js';
import type { Task } from './task.js';

/** Bytes of stack hashed from rsp up. */
export const STACK_WINDOW = 512;
/** Most bytes of the executable's writable memory hashed. */
export const IMAGE_CAP = 1 << 20;
/** Most bytes of writable shared memory hashed. */
export const SHARED_CAP = 64 << 10;

/** The ranges that identify task's current point (task stopped, registers fetched into task.regs). */
export function pointRanges(task: Task): MemRange[] {
  const maps = readMaps(task.tid);
  const ranges: MemRange[] = [];
  const rsp = task.regs[R.rsp]!;
  const stack = maps.find((m) => m.start <= rsp && rsp < m.end && m.perms.startsWith('rw'));
  if (stack) ranges.push(...stackRanges(task, maps, stack, rsp));
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${task.tid}/exe`);
  } catch {
    return ranges;
  }
  const shared = sharedRanges(task, maps);
  let left = IMAGE_CAP;
  let lastEnd = -1n;
  for (const m of maps) {
    if (left <= 0) break;
    const own = m.name === exe;
    const bss = m.name === '' && m.start === lastEnd;
    if (own) lastEnd = m.end;
    if (!(own || bss) || m.perms !== 'rw-p') continue;
    const len = Math.min(left, Number(m.end - m.start));
    ranges.push({ addr: m.start, len });
    left -= len;
    if (bss) lastEnd = -1n;
  }
  return ranges.concat(shared);
}

/** The readable start of each writable shared mapping, SHARED_CAP bytes at most in all. */
function sharedRanges(task: Task, maps: readonly { start: bigint; end: bigint; perms: string }[]): MemRange[] {
  const out: MemRange[] = [];
  let left = SHARED_CAP;
  for (const m of maps) {
    if (left <= 0) break;
    if (m.perms !== 'rw-s') continue;
    const len = task.readPartial(m.start, Math.min(left, Number(m.end - m.start))).length;
    if (len === 0) continue;
    out.push({ addr: m.start, len });
    left -= len;
  }
  return out;
}

/**
 * The stack window from rsp, without the kernel-filled fields of the signal frames in it. A frame is
 * found by its return address (pretcode, at a 16-byte boundary + 8, the handler's entry rsp): an address
 * in executable memory whose code is a restorer, `mov $15, %rax|%eax; syscall` (rt_sigreturn). Looked
 * for from rsp - 8, since a task in the restorer has popped the return address off its frame.
 */
function stackRanges(task: Task, maps: readonly Mapping[], stack: Mapping, rsp: bigint): MemRange[] {
  const end = min(stack.end, rsp + BigInt(STACK_WINDOW));
  const from = rsp - 8n >= stack.start ? rsp - 8n : rsp;
  const bytes = task.readPartial(from, Number(end - from));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const holes: [bigint, bigint][] = [];
  for (let off = Number((8n - (from % 16n) + 16n) % 16n); off + 8 <= bytes.length; off += 16) {
    const v = dv.getBigUint64(off, true);
    if (!maps.some((m) => m.start <= v && v < m.end && m.perms[2] === 'x') || !isRestorer(task, v)) continue;
    const frame = from + BigInt(off);
    holes.push([frame + FRAME_VOLATILE_START, frame + FRAME_VOLATILE_END]);
  }
  const out: MemRange[] = [];
  let at = rsp;
  for (const [a, b] of holes) {
    if (a > at) out.push({ addr: at, len: Number(min(a, end) - at) });
    if (b > at) at = b;
    if (at >= end) break;
  }
  if (at < end) out.push({ addr: at, len: Number(end - at) });
  return out;
}

/** In an rt_sigframe (pretcode, then the ucontext): from the saved EFLAGS to the end of cr2. */
const FRAME_VOLATILE_START = BigInt(SIZEOF_PTR + Struct.ucontext.uc_mcontext + Struct.sigcontext.eflags);
const FRAME_VOLATILE_END = BigInt(SIZEOF_PTR + Struct.ucontext.uc_mcontext + Struct.sigcontext.cr2 + SIZEOF_LONG);

/** `mov $15, %rax; syscall` and `mov $15, %eax; syscall`: a signal restorer (glibc's, musl's, Go's). */
const RESTORERS: readonly (readonly number[])[] = [
  [0x48, 0xc7, 0xc0, SYS.rt_sigreturn, 0, 0, 0, ...SYSCALL_INSN],
  [0xb8, SYS.rt_sigreturn, 0, 0, 0, ...SYSCALL_INSN],
];

function isRestorer(task: Task, addr: bigint): boolean {
  const code = task.readPartial(addr, 9);
  return RESTORERS.some((r) => r.every((b, i) => code[i] === b));
}

let scratch = new Uint8Array(0);

/** Reads the ranges' bytes, concatenated, into scratch; their length, or null when some cannot be read. */
function readRanges(task: Task, ranges: readonly MemRange[]): number | null {
  let total = 0;
  for (const r of ranges) total += r.len;
  // One buffer kept for every comparison: a search may read a MiB at each of many passes.
  if (scratch.length < total) scratch = new Uint8Array(total);
  let at = 0;
  for (const r of ranges) {
    if (task.readInto(r.addr, scratch.subarray(at, at + r.len)) !== r.len) return null;
    at += r.len;
  }
  return total;
}

function sha256Prefix(bytes: Uint8Array): bigint {
  return sha256().update(bytes).digest().readBigUInt64LE(0);
}

/** Hash of the bytes in ranges, or null when some of them cannot be read. */
export function hashRanges(task: Task, ranges: readonly MemRange[]): bigint | null {
  const n = readRanges(task, ranges);
  return n === null ? null : sha256Prefix(scratch.subarray(0, n));
}

/** Bytes per block hash (PointMemory.blocks). */
export const POINT_BLOCK = 4096;

/** The memory identity of task's current point; undefined when it cannot be read. */
export function pointMemory(task: Task): PointMemory | undefined {
  const ranges = pointRanges(task);
  const n = readRanges(task, ranges);
  if (n === null) return undefined;
  const bytes = scratch.subarray(0, n);
  const blocks: bigint[] = [];
  for (let at = 0; at < n; at += POINT_BLOCK) blocks.push(sha256Prefix(bytes.subarray(at, Math.min(n, at + POINT_BLOCK))));
  return { ranges, hash: sha256Prefix(bytes), blocks };
}

/** For each point searched, the block that differed at its last pass (the loop's changing state is there again). */
const lastDiffering = new WeakMap<PointMemory, number>();

/**
 * Whether task's memory is the point's (its registers already matched). With block hashes (trace
 * version 11 on), a pass that is not the point is usually told by one block: the one that differed
 * at the previous pass is compared first, then the others, and only a pass whose blocks all match
 * hashes the whole. A loop whose state lives only in memory matches the registers at every pass:
 * node's replays hashed 300 KiB at each of thousands of passes (seconds) before.
 */
export function memoryMatches(task: Task, point: PointMemory): boolean {
  if (!point.blocks) return hashRanges(task, point.ranges) === point.hash;
  const count = point.blocks.length;
  let total = 0;
  for (const r of point.ranges) total += r.len;
  if (Math.ceil(total / POINT_BLOCK) !== count) return false;
  const first = lastDiffering.get(point) ?? 0;
  // The block that differed last time, alone (one small read); then all of them.
  const one = blockBytes(task, point.ranges, first, total);
  if (one === null) return false;
  if (sha256Prefix(one) !== point.blocks[first]) return false;
  const n = readRanges(task, point.ranges);
  if (n === null) return false;
  const bytes = scratch.subarray(0, n);
  for (let b = 0; b < count; b++) {
    const at = b * POINT_BLOCK;
    if (b !== first && sha256Prefix(bytes.subarray(at, Math.min(n, at + POINT_BLOCK))) !== point.blocks[b]) {
      lastDiffering.set(point, b);
      return false;
    }
  }
  return sha256Prefix(bytes) === point.hash;
}

let blockScratch = new Uint8Array(POINT_BLOCK);

/** Block b of the ranges' bytes concatenated (`total` bytes in all), or null when it cannot be read. */
function blockBytes(task: Task, ranges: readonly MemRange[], b: number, total: number): Uint8Array | null {
  const from = b * POINT_BLOCK;
  const to = Math.min(total, from + POINT_BLOCK);
  if (blockScratch.length < POINT_BLOCK) blockScratch = new Uint8Array(POINT_BLOCK);
  let start = 0;
  for (const r of ranges) {
    const lo = Math.max(from, start);
    const hi = Math.min(to, start + r.len);
    if (lo < hi) {
      const piece = blockScratch.subarray(lo - from, hi - from);
      if (task.readInto(r.addr + BigInt(lo - start), piece) !== piece.length) return null;
    }
    start += r.len;
    if (start >= to) break;
  }
  return blockScratch.subarray(0, to - from);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
