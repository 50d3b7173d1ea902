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

/** Where a write-like call takes the bytes it writes from, in the program's memory. */
export type WriteSource =
  /** A buffer (this argument), `result` bytes. */
  | { buf: number }
  /** An iovec array (this argument; the next argument is its count). */
  | { iov: number }
  /** A struct msghdr (this argument), through its iovec array. */
  | { msghdr: number };

/** A call that writes bytes from the program's memory to a file descriptor. */
export interface WriteRule {
  /** The argument holding the fd written to. */
  fd: number;
  from: WriteSource;
  /** The argument holding the file offset written at; absent, or -1 there: the fd's position. */
  offset?: number;
  /** What it writes to rewind's own stdout/stderr is re-emitted at replay (from the replayed program's memory). */
  echo?: boolean;
}

/** A call that moves bytes between two file descriptors inside the kernel, not through the program's memory. */
export interface CopyRule {
  /** The argument holding the fd written to. */
  out: number;
  /** The argument holding the fd read from. */
  in: number;
  /** The argument pointing at the input offset (NULL there: the fd's position); absent: the input is a pipe. */
  inOffset?: number;
}

/** What a successful call does to the file descriptor table. */
export type FdChange =
  /** fd `copy` is duplicated as `to`. */
  | { copy: number; to: number }
  | { close: number }
  /** Every fd from `from` to `to` (inclusive) is closed. */
  | { closeFrom: number; closeTo: number }
  /** fd `received` is a new one taken from outside the program's table (pidfd_getfd: another process's). */
  | { received: number }
  /**
   * The fds that came with SCM_RIGHTS in the control buffers of `count` struct mmsghdr at `rightsIn`
   * (recvmmsg; recvmsg: one struct msghdr), read from the program's memory after the call.
   */
  | { rightsIn: bigint; count: number };

/** The file whose size a call sets: the fd in this argument, or the path in this argument. */
export type SizedFile = { fd: number } | { path: number };

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
  /** A write-like call: replay checks it took the same bytes; output to rewind's stdout/stderr is re-emitted (`echo`). */
  writes?: WriteRule;
  /** Moves bytes between fds in the kernel (sendfile, splice…): what it sends to rewind's stdout/stderr is recorded. */
  copies?: CopyRule;
  /**
   * Its change of the fd table (result >= 0), which the recorder follows to know which fds are its
   * stdout/stderr: fds copied or closed, or fds received from elsewhere (pidfd_getfd, SCM_RIGHTS).
   */
  fds?: (args: readonly bigint[], result: bigint) => FdChange | null;
  /** It sets the size of a file (a change replay applies to a file mapped shared). */
  sizes?: SizedFile;
  /** It never returns: the task (exit) or its whole process (exit_group) ends in it. */
  noReturn?: 'task' | 'process';
  /**
   * For a call run at replay: the argument (0-5) it sets the calling thread's clear_child_tid to
   * (set_tid_address). Replay keeps it for the thread, for the copies a checkpoint makes of it.
   */
  setsClearTid?: number;
  /** It returns only when a signal arrives (rt_sigsuspend): replay, running it, sends the recorded signal first. */
  waitsForSignal?: boolean;
  /** It asks to give way to the other threads (sched_yield): the recorder lets those waiting run first. */
  yields?: boolean;
  /** It changes which code is mapped where (the code patcher's tables follow it: src/patch/code-changes.ts). */
  changesCode?: boolean;
}
