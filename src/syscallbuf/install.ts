// Syscall buffer: what rewind does in a traced process for it, identically at record and replay:
// maps it after every exec (the code, the stub area, the off header, and the first thread's buffer),
// gives every thread and CLONE_VM child a buffer of its own at its first stop (a slot, below), points a
// task's gs_base at its buffer (or at the off header: no slot left), and moves
// records between a buffer and the trace (record: taken at the stops where the task's events are
// written; replay: given before the task runs to the stop they were taken at, and checked there).
//
// Slots: slot 0 is the first thread's buffer; a new thread takes the lowest free slot, mapped by an
// mmap injected into the new thread itself at its first stop (no other thread is touched) the first
// time the slot is used, and kept mapped for the next thread once its own ends (`releaseBuffer`, at the
// entry of its exit; a vfork child's also at the entry of an execve: `leaveSharedBuffer`). Which slots are taken is kept in the process (SLOTS_USED), so replay, doing the
// same steps at the same events, gives every thread the buffer it had when recorded; a fork child
// keeps only its creator's slot.
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, pageAlign, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/mman.js';
import { R, REGS_COUNT } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { TraceeError } from '../tracee/errors.js';
import { injectSyscall } from '../tracee/inject.js';
import type { Task } from '../tracee/task.js';
import { syscallbufBlob } from './blob.js';
import { BUFFERED_MEMORY_SYSCALLS } from './calls.js';
import { decodeRecords, RECORD_HEADER, withEchoRoom } from './records.js';
import {
  BUFFER, BUFFER_SIZE, CAPACITY, CPUID_TABLE, CPUID_TABLE_SIZE, FIXED_SIZE, GUARDED, H, headerBytes, HF_SHARED_PROC, MAX_ECHO_FD, MAX_GUARDED, MAX_SLOTS, MAX_WATCHED, Mode, OFF_HEADER, PROC,
  PROC_DELEGATE_MEMORY, PROC_ECHO, PROC_FLAGS, PROC_NO_WRITES, PROC_NWATCH, PROC_SHARED_BUFFERS, PROC_THREAD_BUFFERS, PROC_WATCH, recordsOf, REGION_SIZE, slotAddress, slotOf, SLOTS_MAPPED,
  SLOTS_USED, STUB_NEXT, STUBS, SYSCALLBUF_BASE,
} from './layout.js';

/**
 * Maps the buffer into the freshly exec'd process of task (stopped), with the in-process CPUID's
 * table when given (else its table is empty: every question traps), and points task's gs_base at its
 * buffer. False when the address is taken (a huge stack limit moved the mappings there): the process
 * then runs without one. `threadBuffers`: threads get buffers of their own (traces of format 7 on;
 * older ones recorded their threads' calls all traced); `sharedBuffers`: CLONE_VM children that are
 * not threads too (format 10 on).
 */
export function installSyscallbuf(task: Task, mode: Mode.Record | Mode.Replay, threadBuffers = true, sharedBuffers = true,
  cpuidTable: Uint8Array | null = null): boolean {
  const blob = syscallbufBlob();
  const r = injectSyscall(task, SYS.mmap, [SYSCALLBUF_BASE, BigInt(REGION_SIZE), PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, BigInt.asUintN(64, -1n), 0n]);
  if (r !== SYSCALLBUF_BASE) {
    if (r >= 0n && r < 2n ** 63n) injectSyscall(task, SYS.munmap, [r, BigInt(REGION_SIZE)]);
    return false;
  }
  task.write(SYSCALLBUF_BASE, blob.bytes);
  task.write(OFF_HEADER, headerBytes(OFF_HEADER, Mode.Off, false));
  const next = new Uint8Array(8);
  new DataView(next.buffer).setBigUint64(0, STUBS, true);
  task.write(STUB_NEXT, next);
  task.write(SLOTS_USED, bitmap([0]));
  task.write(SLOTS_MAPPED, bitmap([0]));
  const flags = (threadBuffers ? PROC_THREAD_BUFFERS : 0) | (threadBuffers && sharedBuffers ? PROC_SHARED_BUFFERS : 0);
  task.write(PROC, u32Bytes([mode, flags, 0, 0]));
  task.write(PROC_ECHO, new Uint8Array(MAX_ECHO_FD / 4).fill(0xff)); // not known yet: writes go to the tracer
  task.write(BUFFER, headerBytes(BUFFER, mode, true));
  writeGuarded(task, null);
  if (cpuidTable) {
    if (cpuidTable.length > CPUID_TABLE_SIZE) throw new Error(`a CPUID table of ${cpuidTable.length} bytes does not fit in ${CPUID_TABLE_SIZE}`);
    task.write(CPUID_TABLE, cpuidTable);
  }
  const p = injectSyscall(task, SYS.mprotect, [SYSCALLBUF_BASE, BigInt(FIXED_SIZE), PROT_READ | PROT_EXEC]);
  if (p !== 0n) throw new Error(`cannot protect the syscall buffer's code (errno ${-p})`);
  setGsBase(task, BUFFER);
  return true;
}

/**
 * At a new task's first stop (record and replay alike), given the gs_base it inherited from its
 * creator: its buffer's address, or 0n when it has none. A thread gets a slot of its own; so does a
 * process sharing its creator's memory (vfork, posix_spawn's CLONE_VM|CLONE_VFORK, a bare CLONE_VM),
 * marked HF_SHARED_PROC: it has a descriptor table of its own, which the process's one copy of the
 * recorder's stdout model, PROC_ECHO, does not describe, so it buffers only calls that name no
 * descriptor (traces before format 10: none, all its calls traced); a fork child keeps its copy of its
 * creator's buffer (emptied at the fork's entry), and its process only that slot.
 */
export function bufferForNewTask(child: Task, inherited: bigint, sharesMemory: boolean, thread: boolean): bigint {
  const slot = slotOf(inherited);
  if (slot < 0 && inherited !== OFF_HEADER) return 0n; // no buffer in this process
  if (!sharesMemory) {
    child.write(SLOTS_USED, bitmap(slot >= 0 ? [slot] : []));
    return slot >= 0 ? inherited : 0n;
  }
  const [mode, flags] = u32sAt(child, PROC, 2) as [Mode, number];
  const none = (): bigint => {
    if (slot >= 0) setGsBase(child, OFF_HEADER);
    return 0n;
  };
  if ((flags & PROC_THREAD_BUFFERS) === 0 || (!thread && (flags & PROC_SHARED_BUFFERS) === 0)) return none();
  const used = bits(child.read(SLOTS_USED, MAX_SLOTS / 8));
  const mapped = bits(child.read(SLOTS_MAPPED, MAX_SLOTS / 8));
  let k = 0;
  while (k < MAX_SLOTS && used.has(k)) k++;
  if (k === MAX_SLOTS) return none();
  const addr = slotAddress(k);
  if (!mapped.has(k)) {
    const r = injectSyscall(child, SYS.mmap, [addr, BigInt(BUFFER_SIZE), PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, BigInt.asUintN(64, -1n), 0n]);
    if (r !== addr) {
      // Taken by the program's own mappings (the same at replay, which maps them where recorded).
      if (r >= 0n && r < 2n ** 63n) injectSyscall(child, SYS.munmap, [r, BigInt(BUFFER_SIZE)]);
      return none();
    }
    mapped.add(k);
    child.write(SLOTS_MAPPED, bitmap([...mapped]));
  }
  used.add(k);
  child.write(SLOTS_USED, bitmap([...used]));
  // A thread of a vfork child shares what its creator shares.
  const shared = !thread || (slot >= 0 && (u32sAt(child, inherited + BigInt(H.flags), 1)[0]! & HF_SHARED_PROC) !== 0);
  child.write(addr, headerBytes(addr, mode, true, shared ? HF_SHARED_PROC : 0));
  setGsBase(child, addr);
  return addr;
}

/**
 * At the entry of an execve (record and replay alike, before it runs, whether it then succeeds or
 * fails): a task whose buffer is a vfork child's (HF_SHARED_PROC) gives its slot back to the memory it
 * shares, whose process goes on using it, and has no buffer from then on (its records were taken
 * right before). Returns the task's gs_base from then on, or null when nothing changed.
 */
export function leaveSharedBuffer(task: Task, buffer: bigint): bigint | null {
  if (slotOf(buffer) <= 0) return null;
  const [flags] = u32sAt(task, buffer + BigInt(H.flags), 1);
  if ((flags! & HF_SHARED_PROC) === 0) return null;
  releaseBuffer(task, buffer);
  setGsBase(task, OFF_HEADER);
  return OFF_HEADER;
}

/**
 * Record: the recorder's model of which fds are its stdout (1) or stderr (2), for the process of task
 * (fds past MAX_ECHO_FD: their writes go to the tracer anyway).
 */
export function writeEchoFds(task: Task, entries: [number, number][]): void {
  const b = new Uint8Array(MAX_ECHO_FD / 4);
  for (const [fd, target] of entries) if (fd >= 0 && fd < MAX_ECHO_FD) b[fd >> 2]! |= (target & 3) << ((fd & 3) * 2);
  task.write(PROC_ECHO, b);
}

/** Record: the files whose writes the process's buffers leave to the tracer (more than fit: no writes buffered). */
export function writeWatched(task: Task, files: { dev: bigint; ino: bigint }[]): void {
  const [, flags] = u32sAt(task, PROC, 2) as [number, number];
  const over = files.length > MAX_WATCHED;
  const b = new Uint8Array(16 * MAX_WATCHED);
  const dv = new DataView(b.buffer);
  if (!over) files.forEach((f, i) => { dv.setBigUint64(16 * i, f.dev, true); dv.setBigUint64(16 * i + 8, f.ino, true); });
  task.write(PROC_WATCH, b);
  task.write(PROC_NWATCH, u32Bytes([over ? 0 : files.length]));
  task.write(PROC_FLAGS, u32Bytes([over ? flags | PROC_NO_WRITES : flags & ~PROC_NO_WRITES]));
}

/** Record: the ranges a buffered munmap or mprotect may not touch, sorted (null: all of them). */
export function writeGuarded(task: Task, ranges: readonly (readonly [bigint, bigint])[] | null): void {
  const all = ranges === null || ranges.length > MAX_GUARDED;
  const n = all ? 0 : ranges.length;
  const b = new Uint8Array(16 + 16 * n);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, n, true);
  dv.setUint32(4, all ? 1 : 0, true);
  for (let i = 0; i < n; i++) {
    dv.setBigUint64(16 + 16 * i, ranges![i]![0], true);
    dv.setBigUint64(24 + 16 * i, ranges![i]![1], true);
  }
  task.write(GUARDED, b);
}

/**
 * Replay: whether the process's buffers hand their memory calls to the tracer (PROC_DELEGATE_MEMORY).
 * Nothing to do in a process without the buffer.
 */
export function setDelegateMemory(task: Task, on: boolean): void {
  const b = task.readPartial(PROC_FLAGS, 4);
  if (b.length !== 4) return;
  const flags = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  const want = on ? flags | PROC_DELEGATE_MEMORY : flags & ~PROC_DELEGATE_MEMORY;
  if (want !== flags) task.write(PROC_FLAGS, u32Bytes([want]));
}

/** At the entry of a task's exit: its slot is free for the next thread (the buffer stays mapped). */
export function releaseBuffer(task: Task, buffer: bigint): void {
  const slot = slotOf(buffer);
  if (slot <= 0) return; // slot 0 belongs to the process's first thread, which ends the process
  const used = bits(task.read(SLOTS_USED, MAX_SLOTS / 8));
  used.delete(slot);
  task.write(SLOTS_USED, bitmap([...used]));
}

const scratch = new BigUint64Array(REGS_COUNT);

/** The buffer task's gs_base points at, or 0n (read without touching task.regs, which may hold registers about to be stored). */
export function bufferOf(task: Task): bigint {
  const r = native.getRegs(task.tid, scratch);
  if (r < 0) throw new TraceeError(`cannot read registers of task ${task.tid} (errno ${-r})`, -r);
  const gs = scratch[R.gs_base]!;
  return slotOf(gs) >= 0 ? gs : 0n;
}

function setGsBase(task: Task, addr: bigint): void {
  const regs = task.fetchRegs();
  regs[R.gs_base] = addr;
  task.storeRegs(regs);
}

function bitmap(set: number[]): Uint8Array {
  const b = new Uint8Array(MAX_SLOTS / 8);
  for (const k of set) b[k >> 3]! |= 1 << (k & 7);
  return b;
}

function bits(b: Uint8Array): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < MAX_SLOTS; k++) if ((b[k >> 3]! & (1 << (k & 7))) !== 0) out.add(k);
  return out;
}

function u32Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint32(4 * i, v, true));
  return b;
}

function u32sAt(task: Task, addr: bigint, n: number): number[] {
  const b = task.read(addr, 4 * n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true));
}

/**
 * Record: takes the records a thread wrote in its buffer since they were last taken (reads `used` and
 * `count`, the records, then zeroes `used`, `count` and `reserved`), into one array kept for every
 * batch instead of a new one each time: a batch is up to 1 MiB (ls -lR: 79 of ~850 KB), and fresh
 * memory costs a page fault a page, some 20 µs each on a VM (~290 ms of a 3 s recording of ls -lR),
 * where memory already mapped costs a few. The recorder encodes a batch into the trace (a copy)
 * before it takes the next, so one array is enough.
 */
export class RecordsTaker {
  /** Holds the last batch taken (valid until the next take). */
  private scratch = new Uint8Array(0);
  private readonly header = new Uint8Array(8);
  private readonly zeros = new Uint8Array(8);

  /** The records task wrote in `buffer` since the last take (emptying it), or null when none. TraceeError when gone. */
  take(task: Task, buffer: bigint): { count: number; records: Uint8Array } | null {
    this.read(task, buffer + BigInt(H.used), this.header);
    const dv = new DataView(this.header.buffer);
    const used = dv.getUint32(0, true);
    const count = dv.getUint32(4, true);
    if (count === 0) return null;
    if (used > this.scratch.length) this.scratch = new Uint8Array(Math.max(used, CAPACITY));
    const records = this.scratch.subarray(0, used);
    this.read(task, recordsOf(buffer), records);
    task.write(buffer + BigInt(H.used), this.zeros); // used, count
    task.write(buffer + BigInt(H.reserved), this.zeros.subarray(0, 4));
    return { count, records };
  }

  private read(task: Task, addr: bigint, into: Uint8Array): void {
    if (task.readInto(addr, into) !== into.length) {
      throw new TraceeError(`cannot read ${into.length} bytes at 0x${addr.toString(16)} in task ${task.tid}`);
    }
  }
}

/** giveRecords' scratch for records with echo room: written into the program at once, then free. */
let echoScratch: Uint8Array = new Uint8Array(0);

/**
 * Replay: appends recorded records to the thread's buffer, for the program to take in order (an echoed
 * write with room for the bytes the program writes). Returns the bytes given.
 */
export function giveRecords(task: Task, buffer: bigint, count: number, recorded: Uint8Array): number {
  const roomy = withEchoRoom(recorded, count, echoScratch);
  if (roomy && roomy.buffer !== echoScratch.buffer) echoScratch = new Uint8Array(roomy.buffer);
  const records = roomy ?? recorded;
  const [used, had] = u32sAt(task, buffer + BigInt(H.used), 2) as [number, number];
  task.write(recordsOf(buffer) + BigInt(used), records);
  task.write(buffer + BigInt(H.used), u32Bytes([used + records.length, had + count]));
  return records.length;
}

/** Replay: the `used` bytes of records in `buffer` (an echoed write's bytes are there as the program wrote them). */
export function recordsIn(task: Task, buffer: bigint, used: number): Uint8Array {
  return task.read(recordsOf(buffer), used);
}

/** Replay: how many of the records given to `buffer` the program has used so far, and their bytes. */
export function recordsUsed(task: Task, buffer: bigint): { count: number; bytes: number } {
  const [count, bytes] = u32sAt(task, buffer + BigInt(H.consumed), 2) as [number, number];
  return { count, bytes };
}

/** Replay: whether the program has used every record given to `buffer`. */
export function recordsAllUsed(task: Task, buffer: bigint): boolean {
  const [count, consumed] = u32sAt(task, buffer + BigInt(H.count), 2) as [number, number];
  return consumed === count;
}

/**
 * Replay, at the stop the records were taken at: how many the program used of how many (null: all),
 * then empties the buffer. `ran`: the next call ran in the buffer (one replay runs for real) and
 * returned `result` (1) or wrote other bytes (2) than recorded; 0 otherwise.
 */
export function checkRecordsUsed(task: Task, buffer: bigint):
  { used: number; count: number; mismatchNr: number; ran: number; result: bigint } | null {
  const [, count, consumed] = u32sAt(task, buffer + BigInt(H.used), 3) as [number, number, number];
  const mismatch = task.read(buffer + BigInt(H.mismatchNr), H.mismatchResult + 8 - H.mismatchNr);
  const dv = new DataView(mismatch.buffer, mismatch.byteOffset, mismatch.byteLength);
  const mismatchNr = dv.getInt32(0, true);
  const ran = dv.getUint32(H.mismatchRan - H.mismatchNr, true);
  const result = dv.getBigInt64(H.mismatchResult - H.mismatchNr, true);
  if (count === 0) return null;
  const fresh = headerBytes(buffer, Mode.Replay, true);
  task.write(buffer + BigInt(H.used), fresh.subarray(H.used, H.flags)); // the flags stay
  return consumed === count ? null : { used: consumed, count, mismatchNr, ran, result };
}

/**
 * Replay, at a seccomp stop of the buffer's traced instruction: the memory call the buffer handed to
 * the tracer (PROC_DELEGATE_MEMORY; its record, the next one, matched), or null when it handed none.
 */
export function delegatedCall(task: Task, buffer: bigint): { nr: number; args: bigint[]; result: bigint; size: number } | null {
  if (u32sAt(task, buffer + BigInt(H.delegated), 1)[0] === 0) return null;
  const [, consumedBytes] = u32sAt(task, buffer + BigInt(H.consumed), 2) as [number, number];
  // A memory call's record has no outputs: its header is the whole record (decodeRecords checks that).
  const call = decodeRecords(task.read(recordsOf(buffer) + BigInt(consumedBytes), RECORD_HEADER), 1)[0]!;
  return { nr: call.nr, args: call.args, result: call.result, size: RECORD_HEADER };
}

/**
 * Replay: the ranges the records given to task's buffer and not used yet will map, unmap or
 * reprotect (a page rewind maps for itself meanwhile must keep out of them: point-trap.ts).
 */
export function pendingMemoryRanges(task: Task): [bigint, bigint][] {
  const buffer = bufferOf(task);
  if (buffer === 0n) return [];
  const [used, count, consumed, consumedBytes] = u32sAt(task, buffer + BigInt(H.used), 4) as [number, number, number, number];
  if (consumed >= count || consumedBytes >= used) return [];
  const out: [bigint, bigint][] = [];
  for (const c of decodeRecords(task.read(recordsOf(buffer) + BigInt(consumedBytes), used - consumedBytes), count - consumed)) {
    if (c.result < 0n || !BUFFERED_MEMORY_SYSCALLS.includes(c.nr)) continue;
    const start = c.nr === SYS.mmap ? c.result : c.args[0]!;
    out.push([start, start + pageAlign(c.args[1]!)]);
  }
  return out;
}

/** Replay: the delegated call ran (as recorded): its record is used, as when the buffer runs one. */
export function delegatedDone(task: Task, buffer: bigint, size: number): void {
  const [consumed, consumedBytes] = u32sAt(task, buffer + BigInt(H.consumed), 2) as [number, number];
  task.write(buffer + BigInt(H.consumed), u32Bytes([consumed + 1, consumedBytes + size]));
  task.write(buffer + BigInt(H.delegated), u32Bytes([0]));
}

/**
 * Record: the thread of `buffer` has used its time slice (its next call goes to the tracer, which can
 * switch threads at that syscall), or no longer. Written while the thread runs.
 */
export function askYield(task: Task, buffer: bigint, on: boolean): void {
  task.write(buffer + BigInt(H.yield), u32Bytes([on ? 1 : 0]));
}

/**
 * Record: whether the recorder holds a signal for the thread of `buffer` (it delivers it at the
 * thread's next traced call): the buffer leaves rt_sigprocmask and rt_sigaction to the tracer meanwhile.
 */
export function markHeld(task: Task, buffer: bigint, held: boolean): void {
  task.write(buffer + BigInt(H.held), u32Bytes([held ? 1 : 0]));
}
