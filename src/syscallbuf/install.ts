// Syscall buffer: what rewind does in a traced process for it, identically at record and replay:
// maps it after every exec (the code, the stub area, the off header, and the first thread's buffer),
// points a thread's gs_base at its buffer (or at the off header: threads and CLONE_VM children have
// none yet, so their calls go to the tracer as before), and moves records between the buffer and the
// trace (record: taken at every stop of the thread; replay: given before the thread runs to the stop
// they were taken at, and checked there).
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/mman.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { injectSyscall } from '../tracee/inject.js';
import type { Task } from '../tracee/task.js';
import { syscallbufBlob } from './blob.js';
import { BUFFER, FIXED_SIZE, H, HEADER_SIZE, headerBytes, Mode, OFF_HEADER, RECORDS, REGION_SIZE, STUB_NEXT, STUBS, SYSCALLBUF_BASE } from './layout.js';

/**
 * Maps the buffer into the freshly exec'd process of task (stopped) and points task's gs_base at its
 * buffer. False when the address is taken (a huge stack limit moved the mappings there): the process
 * then runs without one.
 */
export function installSyscallbuf(task: Task, mode: Mode.Record | Mode.Replay): boolean {
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
  task.write(BUFFER, headerBytes(BUFFER, mode, true));
  const p = injectSyscall(task, SYS.mprotect, [SYSCALLBUF_BASE, BigInt(FIXED_SIZE), PROT_READ | PROT_EXEC]);
  if (p !== 0n) throw new Error(`cannot protect the syscall buffer's code (errno ${-p})`);
  setGsBase(task, BUFFER);
  return true;
}

/** A new thread or CLONE_VM child: no buffer of its own (yet), so every call of its goes to the tracer. */
export function withoutBuffer(task: Task): void {
  setGsBase(task, OFF_HEADER);
}

function setGsBase(task: Task, addr: bigint): void {
  const regs = task.fetchRegs();
  regs[R.gs_base] = addr;
  task.storeRegs(regs);
}

/** Whether the task's gs_base points at the process's buffer (its calls may be buffered). */
export function hasBuffer(task: Task): boolean {
  return task.regs[R.gs_base] === BUFFER;
}

function u32s(task: Task, at: number, n: number): number[] {
  const b = task.read(BUFFER + BigInt(at), 4 * n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true));
}

function setU32s(task: Task, at: number, values: number[]): void {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint32(4 * i, v, true));
  task.write(BUFFER + BigInt(at), b);
}

/** Record: the records the thread wrote since its last stop (emptying the buffer), or null when none. */
export function takeRecords(task: Task): { count: number; records: Uint8Array } | null {
  const [used, count] = u32s(task, H.used, 2) as [number, number];
  if (count === 0) return null;
  const records = task.read(RECORDS, used);
  setU32s(task, H.used, [0, 0]);
  return { count, records };
}

/** Replay: appends recorded records to the thread's buffer, for the program to take in order. */
export function giveRecords(task: Task, count: number, records: Uint8Array): void {
  const [used, had] = u32s(task, H.used, 2) as [number, number];
  task.write(RECORDS + BigInt(used), records);
  setU32s(task, H.used, [used + records.length, had + count]);
}

/** Replay, at the stop the records were taken at: how many the program used of how many (null: all), then empties the buffer. */
export function checkRecordsUsed(task: Task): { used: number; count: number; mismatchNr: number } | null {
  const [, count, consumed] = u32s(task, H.used, 3) as [number, number, number];
  const mismatchNr = new DataView(task.read(BUFFER + BigInt(H.mismatchNr), 4).buffer).getInt32(0, true);
  if (count === 0) return null;
  const fresh = headerBytes(BUFFER, Mode.Replay, true);
  task.write(BUFFER + BigInt(H.used), fresh.subarray(H.used, HEADER_SIZE));
  return consumed === count ? null : { used: consumed, count, mismatchNr };
}
