// Kernel ABI layer: the shape of one entry in the syscall table. Data only; imports nothing from rewind.
// The table (src/kernel/syscalls/*.ts, joined in index.ts) is the single place that says how each
// syscall is recorded and replayed. Recording reads the regions an entry's outputs name after the call;
// replay writes the recorded bytes back, so replay itself never needs the rules.

/** How a syscall is handled. */
export type SyscallKind =
  /** Recorded (result + memory outputs); replay skips it and returns the recorded result and memory. */
  | 'emulate'
  /** Replay runs it for real (address space, signal state, task state); the result must match the recording. */
  | 'execute'
  /** Refused with -ENOSYS at record and replay, as a kernel without it would (io_uring, rseq, clone3…). */
  | 'enosys'
  /** Not supported yet: recording stops with a message naming it. */
  | 'unsupported';

/** What an output rule sees, after the syscall returned. */
export interface SyscallCtx {
  /** The six raw argument registers (rdi, rsi, rdx, r10, r8, r9). */
  args: readonly bigint[];
  /** Signed return value. */
  result: bigint;
  /** Reads the tracee's memory (after the call). */
  readMem(addr: bigint, len: number): Uint8Array;
}

/** What an `executesIf` rule sees, after the syscall returned. */
export interface ExecuteCtx {
  args: readonly bigint[];
  result: bigint;
  /** Whether pid (a tid or tgid) is a task of the recording. */
  isRecorded(pid: bigint): boolean;
}

/** A region of tracee memory the kernel wrote. */
export interface Region {
  addr: bigint;
  len: number;
}

/** Computes the regions one output parameter covers. Called only when result >= 0 unless `onError`. */
export type OutputRule = (c: SyscallCtx) => Region[];

export interface SyscallDef {
  nr: number;
  name: string;
  kind: SyscallKind;
  /** Memory the kernel writes into (for 'emulate' and 'execute'). Regions with addr 0 or len 0 are dropped. */
  outputs?: OutputRule[];
  /** The call can block for a long time (read, poll, wait4…): the recorder flushes the trace before it. */
  blocks?: boolean;
  /** Why it has this kind, when that is not obvious; shown in messages and docs/SYSCALLS.md. */
  note?: string;
  /**
   * Checked at the call's entry, before it runs: a reason when these arguments are not supported
   * (recording stops with it), null when they are.
   */
  refuse?: (args: readonly bigint[]) => string | null;
  /**
   * For an 'emulate' entry: the calls replay must run for real after all, because what they change in
   * a recorded process matters at replay (setrlimit of the stack limit). Recorded as executed.
   */
  executesIf?: (c: ExecuteCtx) => boolean;
  /**
   * For calls run at replay: the argument (0-5) that names a process by pid (0: the caller). Replay
   * runs the call on the replayed process the recorded pid names.
   */
  pidArg?: number;
  /**
   * For calls run at replay whose result is not an effect to check (set_tid_address returns the
   * caller's tid, which differs at replay; rt_sigreturn the rax it restores): replay hands back the
   * recorded result instead of reporting a divergence.
   */
  keepsRecordedResult?: boolean;
}
