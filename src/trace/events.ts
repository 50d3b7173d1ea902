// Trace layer: the events a recording is made of. Pure data; imports nothing from rewind but kernel types.
// Encoded by frames.ts, written by trace-writer.ts, read by trace-reader.ts. See docs/TRACE_FORMAT.md.

/** struct user_regs_struct, 27 u64 in kernel order (see src/kernel/regs.ts for the field names). */
export type Regs = BigUint64Array;

/** Bytes the kernel wrote into the tracee's memory during one system call. */
export interface MemWrite {
  addr: bigint;
  data: Uint8Array;
}

/** A file the tracee mapped (or exec'd), as kept in the trace's files/ folder. */
export interface FileRef {
  /** Path the tracee saw (from /proc/PID/fd or /proc/PID/exe). */
  path: string;
  /** Name of the trace's own copy, relative to the trace's files/ folder. */
  copy: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** How a syscall was handled; replay follows what the recording says, not today's table. */
export const enum SyscallMode {
  /** Replay skips it and hands back the recorded result and memory. */
  Emulated = 0,
  /** Replay runs it for real (it shapes the address space or the kernel's view of the task). */
  Executed = 1,
}

export interface ExecEvent {
  kind: 'exec';
  tid: number;
  /** The executable as the tracee exec'd it (absolute). */
  path: string;
  argv: string[];
  envp: string[];
  exe: FileRef;
  interp: FileRef | null;
  /** Initial stack: bytes from stackAddr up to the top of the [stack] mapping (argv, envp, auxv, AT_RANDOM…). */
  stackAddr: bigint;
  stack: Uint8Array;
  /** Registers at the end of execve, as the program starts. */
  regs: Regs;
  /**
   * The task's tid once the exec is done. A thread that is not its thread group's leader takes over
   * the leader's tid when it execs (the kernel ends every other thread; the leader vanishes without an
   * exit of its own). Equal to tid otherwise, and in traces of format version 1.
   */
  newTid: number;
  /**
   * The address space the exec left, for replay to build without the kernel loading anything (format
   * version 5 on; absent in older traces, which replay by a real exec of the trace's copy).
   */
  image?: ExecImage;
}

/** What a mapping of an exec'd image holds: a file's copy, anonymous memory, or one of the kernel's own. */
export const enum ImageKind {
  /** Private mapping of `file` at `offset` (the executable's or the interpreter's segments). */
  File = 0,
  /** Private anonymous memory (a .bss past a file's end). */
  Anon = 1,
  /** The initial stack ([stack]). */
  Stack = 2,
  /** The kernel's vDSO code ([vdso]). */
  Vdso = 3,
  /** The kernel's data pages read by the vDSO ([vvar], [vvar_vclock]). */
  Vvar = 4,
  /** The fixed legacy page ([vsyscall]), never moved. */
  Vsyscall = 5,
}

/** One mapping of an exec'd image, as /proc/PID/maps showed it right after the exec. */
export interface ImageMapping {
  start: bigint;
  end: bigint;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  kind: ImageKind;
  /** File: the copy mapped; null for the other kinds. */
  file: FileRef | null;
  offset: bigint;
  /** The name /proc/PID/maps shows ([vvar_vclock]…, or the file's path). */
  name: string;
  /**
   * What the mapping holds beyond its file's bytes (or zeros): for writable private mappings (File,
   * Anon), the pages the kernel wrote (a .bss tail zeroed in a file's last page); for the vDSO, all of it.
   */
  pieces: MemWrite[];
}

/** The mm fields prctl(PR_SET_MM_MAP) sets, as /proc/PID/stat showed them after the exec. */
export interface ImageLayout {
  startCode: bigint;
  endCode: bigint;
  startData: bigint;
  endData: bigint;
  startBrk: bigint;
  brk: bigint;
  startStack: bigint;
  argStart: bigint;
  argEnd: bigint;
  envStart: bigint;
  envEnd: bigint;
}

/** A new image: its mappings, mm layout, and the auxiliary vector the kernel saved (/proc/PID/auxv). */
export interface ExecImage {
  mappings: ImageMapping[];
  layout: ImageLayout;
  auxv: Uint8Array;
}

export interface SyscallEvent {
  kind: 'syscall';
  tid: number;
  nr: number;
  mode: SyscallMode;
  /** Registers at syscall entry (orig_rax = nr, args in rdi rsi rdx r10 r8 r9). */
  regs: Regs;
  /** Return value (rax at exit), signed. */
  result: bigint;
  /** Memory the kernel wrote, in order. */
  writes: MemWrite[];
  /** For mmap of a file: the file, so replay maps the trace's copy. */
  file: FileRef | null;
  /** 1 or 2 when this write/writev went to the recorder's own stdout/stderr: replay echoes it. 0 otherwise. */
  echo: number;
  /**
   * With echo: the bytes sent to stdout/stderr when they never passed through the program's memory
   * (sendfile, copy_file_range from a file). Absent otherwise; replay reads write/writev data from memory.
   */
  output?: Uint8Array;
  /**
   * For a write-like call that transferred data (write, pwrite64, writev, pwritev, pwritev2, sendto,
   * sendmsg with a result > 0): the first 8 bytes (little-endian) of the SHA-256 of the bytes it took
   * from the program's memory (the first `result` bytes of its buffer or buffers). Replay checks the
   * program wrote the same bytes. Absent in traces before version 3.
   */
  dataHash?: bigint;
  /**
   * Version 4 on. For mmap with MAP_SHARED of a file: true when its fd was open for writing (replay
   * opens the file's shared backing the same way, so a later mprotect adding PROT_WRITE behaves alike).
   */
  fileWritable?: boolean;
  /**
   * Version 4 on. How the call changed a file that the recording maps shared (write, pwrite64, writev,
   * pwritev, pwritev2, ftruncate, truncate, fallocate): replay emulates the call and applies the change
   * to the file's shared backing, so mappings of it show what they showed when recorded.
   */
  fileChange?: FileChange;
}

/** A change to a file mapped shared: `data` written at `offset`, then the file's size is `size`. */
export interface FileChange {
  /** The file's identity as recorded (FileRef.dev, FileRef.ino of its mappings). */
  dev: bigint;
  ino: bigint;
  offset: bigint;
  data: Uint8Array;
  /** The file's size after the call. */
  size: bigint;
}

/** Where a signal was delivered, so replay can deliver it at the same point. */
export const enum SignalPlacement {
  /** Raised by the instruction at regs.rip (fault, trap): replay waits for it to happen again. */
  Fault = 0,
  /** Pending when the preceding syscall of this task returned: delivered on that return. */
  SyscallExit = 1,
  /** Arrived while user code ran; held by the recorder and delivered just before this task's next syscall. */
  SyscallEntry = 2,
  /**
   * Held too long (the task made no syscall): delivered where the recorder interrupted the task, an
   * arbitrary instruction identified by rip, all registers (regs) and, when `point` is present, a hash
   * of memory (see PointMemory). Replay searches for that state.
   */
  Instruction = 3,
}

/** A range of the tracee's memory (address and length in bytes). */
export interface MemRange {
  addr: bigint;
  len: number;
}

/**
 * What identifies a point between landmarks (a `preempt`, an `Instruction` signal) beyond rip and the
 * registers: a hash of memory where a loop keeps state that registers do not show. `ranges` are the
 * bytes hashed, in order (the top of the stack from rsp, then the main executable's writable data and
 * bss); `hash` is the first 8 bytes (little-endian) of their SHA-256. Absent: registers only (traces of
 * format version 1, or memory that could not be read).
 */
export interface PointMemory {
  ranges: MemRange[];
  hash: bigint;
  /**
   * From version 11 on: the same hash of each 4 KiB block of the ranges' bytes concatenated (the last
   * one shorter), so a search tells a pass that is not the point by one block.
   */
  blocks?: bigint[];
}

export interface SignalEvent {
  kind: 'signal';
  tid: number;
  signo: number;
  placement: SignalPlacement;
  /** siginfo_t, 128 bytes, as delivered. */
  siginfo: Uint8Array;
  /** Registers at the signal-delivery stop. */
  regs: Regs;
  /** Instruction placement only: the memory that identifies the point along with regs. */
  point?: PointMemory;
}

/** A trapped instruction the recorder emulated (rdtsc, rdtscp, cpuid). */
export const enum TrappedInsn {
  Rdtsc = 0,
  Rdtscp = 1,
  Cpuid = 2,
  /**
   * Not a trap: a libc syscall site sent to the syscall buffer (version 6 on; only in `patch` events).
   * Its original bytes and the stub it jumps to are in the PatchSite.
   */
  Syscall = 3,
  /**
   * Not a trap: a cpuid site whose stub calls the syscall buffer's in-process CPUID (version 12 on;
   * only in `patch` events), which answers from the trace's table (meta.json's cpuidTable). Its
   * original bytes (the cpuid and the instructions around it the jump replaced) and its stub are in
   * the PatchSite, as a Syscall site's.
   */
  CpuidCall = 4,
}

/** Whether a patched site is a jump to a stub (its original bytes and stub in the PatchSite), not a trap. */
export function isStubSite(insn: TrappedInsn): boolean {
  return insn === TrappedInsn.Syscall || insn === TrappedInsn.CpuidCall;
}

export interface InsnEvent {
  kind: 'insn';
  tid: number;
  insn: TrappedInsn;
  /** Registers before the instruction. */
  regs: Regs;
  /** Results: rax, rdx for rdtsc; rax, rdx, rcx for rdtscp; rax, rbx, rcx, rdx for cpuid. */
  out: bigint[];
}

export interface ExitEvent {
  kind: 'exit';
  tid: number;
  /** Exit code when the task exited normally, else null. */
  code: number | null;
  /** Signal number when a signal killed it, else null. */
  signal: number | null;
}

/**
 * A task entered a syscall that then waited in the kernel while other tasks ran. Written only when
 * another task's event came before the syscall's own event; replay runs the task to that syscall's
 * entry and leaves it there, so user code runs in the recorded order.
 */
export interface EnterEvent {
  kind: 'enter';
  tid: number;
  /** Registers at the syscall entry. */
  regs: Regs;
}

/** fork, vfork or clone created a task; written as soon as the kernel reports it, before any of its events. */
export interface NewTaskEvent {
  kind: 'newtask';
  /** The creating task. */
  tid: number;
  /** The new task's tid as recorded. */
  child: number;
  /** The syscall that created it (fork, vfork or clone). */
  nr: number;
  /** The creating task's registers at the syscall entry (flags and tid pointers are in them). */
  regs: Regs;
}

/**
 * The recorder took the CPU away from a task that ran its whole time slice without a syscall, at the
 * instruction and register state in regs; the next task's events follow. Replay runs the task until
 * its registers equal regs and its memory matches point (a breakpoint at rip, compared at each
 * hit), then switches.
 */
export interface PreemptEvent {
  kind: 'preempt';
  tid: number;
  regs: Regs;
  /** The memory that identifies the point along with regs (absent: registers only). */
  point?: PointMemory;
}

/** One instruction rewind replaced in the program's code by a trap it emulates (src/patch). */
export interface PatchSite {
  addr: bigint;
  /** The instruction that was there (its bytes are fixed: 0f 31, 0f 01 f9, 0f a2). */
  insn: TrappedInsn;
  /** Stub sites only (Syscall, CpuidCall: isStubSite): the stub the site jumps to, and the bytes the jump replaced. */
  stub?: bigint;
  original?: Uint8Array;
}

/**
 * rewind patched code in the task's address space, right after the event before it made the code
 * executable (an exec, an mmap or mprotect with PROT_EXEC): each site's instruction was replaced by
 * `ud2` (padded with `nop` to its length), which traps; the trap is emulated like a kernel-trapped
 * instruction (an `insn` event). Replay applies the same patches at the same point.
 */
export interface PatchEvent {
  kind: 'patch';
  tid: number;
  sites: PatchSite[];
}

/**
 * Syscalls the task ran inside its syscall buffer (src/syscallbuf) since its previous stop, in order:
 * `count` records as the buffer holds them (layout in src/syscallbuf/layout.ts and
 * docs/TRACE_FORMAT.md). Written at the task's next stop, before that stop's own event; replay writes
 * them into the task's buffer before running it to that stop, and the program takes them from there.
 */
export interface BufferedEvent {
  kind: 'buffered';
  tid: number;
  count: number;
  records: Uint8Array;
}

export type TraceEvent = ExecEvent | SyscallEvent | SignalEvent | InsnEvent | ExitEvent | EnterEvent | NewTaskEvent
  | PreemptEvent | PatchEvent | BufferedEvent;
