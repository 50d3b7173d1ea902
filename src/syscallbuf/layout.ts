// Syscall buffer: where its pieces live in every process that has one, and the byte layout of its header
// and records, shared with native/syscallbuf/syscallbuf.c (struct sb_header, struct sb_record).
//
// One region at a fixed address, the same at record and replay (ADDR_NO_RANDOMIZE puts the libraries
// within 2 GiB of it, so a patched site reaches its stub with a 32-bit jump):
//   BASE            the code (build/syscallbuf.bin), r-x
//   STUBS           one stub per patched syscall site, written by rewind, r-x
//   OFF_HEADER      a header with mode 0 (every call traced): the gs_base of tasks without a buffer;
//                   in its page the process's own bookkeeping (STUB_NEXT, the slots, PROC: below)
//   CPUID_TABLE     the answers of the in-process CPUID (native/syscallbuf/cpuid.S), r--
//   BUFFER          slot 0, the buffer of the process's first thread: header, own stack, records;
//                   slot k at BUFFER + k * BUFFER_SIZE, mapped at the first stop of the first thread
//                   that gets it and kept for the next one once its thread exits
export const SYSCALLBUF_BASE = 0x7fffc0000000n;
export const CODE_SIZE = 0x10000;
export const STUBS = SYSCALLBUF_BASE + 0x10000n;
export const STUBS_SIZE = 0x20000;
export const OFF_HEADER = SYSCALLBUF_BASE + 0x30000n;
/** In the off header's page: the next free byte of the stub area (kept in the process, so fork copies it). */
export const STUB_NEXT = OFF_HEADER + 0x800n;
/**
 * In the off header's page: which buffer slots are taken (a bitmap of MAX_SLOTS bits) and which are
 * mapped (the same), kept in the process so that fork copies them and replay, doing the same steps at
 * the same events, picks the same slot for the same thread.
 */
export const SLOTS_USED = OFF_HEADER + 0x810n;
export const SLOTS_MAPPED = OFF_HEADER + 0x820n;
export const MAX_SLOTS = 128;
/**
 * In the off header's page: the process's settings the buffer reads (struct sb_proc in syscallbuf.c):
 * u32 mode (the mode of every buffer of the process), u32 flags (PROC_THREAD_BUFFERS,
 * PROC_NO_WRITES), u32 count of watched files, u32 0, then MAX_WATCHED (u64 dev, u64 ino) pairs: the
 * files whose writes the buffer leaves to the tracer (record only); then at PROC_ECHO two bits per fd
 * below MAX_ECHO_FD: 1 / 2 when the fd is rewind's stdout / stderr, 3 when not known (the write goes to
 * the tracer), 0 otherwise — the recorder's model (src/record/fd-echo.ts), written before the process
 * runs after any change; all 3 until then.
 */
export const PROC = OFF_HEADER + 0x900n;
export const PROC_FLAGS = PROC + 4n;
export const PROC_NWATCH = PROC + 8n;
export const PROC_WATCH = PROC + 16n;
export const MAX_WATCHED = 64;
export const PROC_ECHO = PROC_WATCH + BigInt(16 * MAX_WATCHED);
export const MAX_ECHO_FD = 1024;
/** PROC_ECHO: the fd's writes go to the tracer (not known yet, or another task's echoed write waits). */
export const ECHO_TO_TRACER = 3;
/** PROC flags: threads and CLONE_VM children get a buffer of their own (trace format 7 on). */
export const PROC_THREAD_BUFFERS = 1;
/** PROC flags: writes are never buffered (more watched files than the table holds). */
export const PROC_NO_WRITES = 2;
/** PROC flags: CLONE_VM children that are not threads get a buffer of their own too (HF_SHARED_PROC; trace format 10 on). */
export const PROC_SHARED_BUFFERS = 4;
/**
 * PROC flags, replay: the buffer hands its mmap, munmap and mprotect records to the tracer, which runs
 * them itself (set while a debugger's software watchpoints protect pages: page-watch.ts lifts them
 * around every call that changes the address space).
 */
export const PROC_DELEGATE_MEMORY = 8;
/**
 * The table of CPUID answers patched cpuid sites read (src/tracee/cpuid-table.ts), two pages after the
 * off header's; empty (count 0) in a process that has none. At sb_cpuid_table in syscallbuf.ld.
 */
export const CPUID_TABLE = OFF_HEADER + 0x1000n;
export const CPUID_TABLE_SIZE = 0x2000;
/** Code, stubs, the off header and the CPUID table: mapped read-only and executable once written. */
export const FIXED_SIZE = 0x33000;
/**
 * Record: the ranges where a buffered munmap or mprotect may not act (struct sb_guarded in
 * syscallbuf.c: u32 count, u32 all, u64 0, then MAX_GUARDED sorted u64 start, end pairs), written by the
 * recorder (guarded-memory.ts) before the process runs after any change; `all` until the first write.
 * In the page after the CPUID table, writable (the recorder writes it often: no read-only page to
 * write through /proc/PID/mem); at replay it is written once, `all`, and never read.
 */
export const GUARDED = SYSCALLBUF_BASE + BigInt(FIXED_SIZE);
export const MAX_GUARDED = 255;
export const BUFFER = SYSCALLBUF_BASE + 0x100000n;
export const BUFFER_SIZE = 0x100000;
export const REGION_SIZE = 0x200000;
const STACK_SIZE = 0x10000;
/** A buffer's record area (its stack's top: the stack grows down from there). */
export function recordsOf(buffer: bigint): bigint {
  return buffer + 0x1000n + BigInt(STACK_SIZE);
}
/** Slot k's buffer. */
export function slotAddress(k: number): bigint {
  return BUFFER + BigInt(k) * BigInt(BUFFER_SIZE);
}
/** The slot whose buffer starts at addr, or -1. */
export function slotOf(addr: bigint): number {
  if (addr < BUFFER || (addr - BUFFER) % BigInt(BUFFER_SIZE) !== 0n) return -1;
  const k = Number((addr - BUFFER) / BigInt(BUFFER_SIZE));
  return k < MAX_SLOTS ? k : -1;
}
export const CAPACITY = BUFFER_SIZE - 0x1000 - STACK_SIZE;

export const MAGIC = 0x62737772; // "rwsb"

export const enum Mode { Off = 0, Record = 1, Replay = 2 }

/** Header field offsets. */
export const H = {
  self: 0, magic: 8, mode: 12, stackTop: 16, records: 24, capacity: 32, used: 36, count: 40,
  consumed: 44, consumedBytes: 48, mismatchNr: 52, mismatchAt: 56, reserved: 60, held: 64, mismatchRan: 68,
  mismatchResult: 72, flags: 80, delegated: 84, yield: 88,
} as const;
export const HEADER_SIZE = 96;
/**
 * Header flags: the buffer of a CLONE_VM child that is not a thread (a vfork child, posix_spawn's):
 * its descriptors, cwd and handlers are its own, and the process settings (PROC) in the memory it
 * shares describe its creator's, so it buffers only calls that name no descriptor (the signal mask and
 * handlers, the ids, the clocks: shared_proc_call in syscallbuf.c). Trace format 10 on.
 */
export const HF_SHARED_PROC = 1;

/** A header as the tracer writes it. */
export function headerBytes(self: bigint, mode: Mode, withBuffer: boolean, flags = 0): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(H.self, self, true);
  dv.setUint32(H.magic, MAGIC, true);
  dv.setUint32(H.mode, mode, true);
  if (withBuffer) {
    dv.setBigUint64(H.stackTop, recordsOf(self), true);
    dv.setBigUint64(H.records, recordsOf(self), true);
    dv.setUint32(H.capacity, CAPACITY, true);
  }
  dv.setInt32(H.mismatchNr, -1, true);
  dv.setUint32(H.flags, flags, true);
  return b;
}
