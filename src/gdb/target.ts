// gdb layer: what a debuggee must provide to be served to gdb (the only contract between src/gdb and
// the replay engine). Imports nothing from rewind outside src/gdb; the engine implements it.
//
// Conventions:
// - Signal numbers are Linux x86-64 numbers (SIGTRAP = 5, SIGINT = 2, SIGUSR1 = 10). The server
//   translates to and from gdb's own numbering (signals.ts).
// - Any method may throw (or reject). A `TargetError` carries the errno put in the `E NN` reply;
//   anything else becomes `E01`. A throw never ends the session.
// - Methods returning MaybePromise may answer synchronously or asynchronously.
// - The server calls the target one request at a time, never concurrently, except `interrupt()`,
//   which it calls while a `resume()` promise is pending.

export type MaybePromise<T> = T | Promise<T>;

/** A thread: process id and kernel thread id (tid === pid for the main thread). */
export interface ThreadId {
  readonly pid: number;
  readonly tid: number;
}

/** Which register features the target description and the register file hold (register-layout.ts). */
export type RegisterSet = 'sse' | 'avx' | 'avx512';

export type Direction = 'forward' | 'backward';

/** What gdb asked for, normalised from c/s/C/S/bc/bs/vCont. */
export interface ResumeRequest {
  direction: Direction;
  /** 'step': `thread` executes exactly one instruction; 'continue': run until a stop event. */
  mode: 'continue' | 'step';
  /**
   * step: the thread that steps (never null). continue: the only thread gdb lets run
   * (scheduler-locking), or null for all threads.
   */
  thread: ThreadId | null;
  /**
   * step only: whether the other threads may run while `thread` steps (`vCont;s:T;c`). A replay
   * target may ignore this: recorded scheduling decides what runs, the stop comes once `thread` has
   * retired one instruction (forward) or un-retired one (backward).
   */
  othersRun: boolean;
  /** Linux signal to deliver to `thread` on resume (forward only), 0 for none. */
  signal: number;
}

/** Why the thread stopped, beyond its signal; each maps to a stop-reply field. */
export type StopEvent =
  /** Hit a software breakpoint (Z0); the pc is at the breakpoint address. */
  | { type: 'swbreak' }
  /** Hit a hardware breakpoint (Z1). */
  | { type: 'hwbreak' }
  /** A watchpoint (Z2/Z3/Z4) triggered on `addr`. */
  | { type: 'watch'; access: WatchAccess; addr: bigint }
  /** Replay reached the beginning (backward) or the end (forward) of the recorded history. */
  | { type: 'replaylog'; edge: 'begin' | 'end' };

export type WatchAccess = 'write' | 'read' | 'access';

export type StopReason =
  /** A thread stopped (breakpoint, step done, signal, interrupt: signal SIGINT, history edge…). */
  | { kind: 'signal'; thread: ThreadId; signal: number; event?: StopEvent }
  /** The process exited with `status` (W reply). */
  | { kind: 'exited'; pid: number; status: number }
  /** The process was killed by `signal` (X reply). */
  | { kind: 'terminated'; pid: number; signal: number };

/** Z/z packet types: 0 software, 1 hardware, 2 write, 3 read, 4 access watchpoint. */
export type BreakpointType = 'software' | 'hardware' | 'write' | 'read' | 'access';

export interface Breakpoint {
  type: BreakpointType;
  addr: bigint;
  /** Breakpoint kind (1 for x86 int3) or the watched length in bytes. */
  kind: number;
}

export interface BreakpointSupport {
  /** The types this target accepts; others get an empty reply (gdb then falls back or gives up). */
  readonly types: readonly BreakpointType[];
  insert(bp: Breakpoint): MaybePromise<void>;
  /** Removing a breakpoint that is not there must succeed. */
  remove(bp: Breakpoint): MaybePromise<void>;
}

/**
 * A file opened read-only through Host I/O (vFile:open): what gdb reads of the program's files.
 * Stateless: nothing to close; it may be read any number of times.
 */
export interface TargetFile {
  /** Size in bytes (vFile:fstat). */
  readonly size: number;
  /** Modification time, seconds since the epoch (vFile:fstat); 0 when unknown. */
  readonly mtime?: number;
  /** Up to `length` bytes from `offset`: fewer at the end of the file, none past it. */
  read(offset: number, length: number): MaybePromise<Uint8Array>;
}

export interface DebugTarget {
  /** Register features described to gdb; default 'sse' (core, sse, linux, segments). */
  readonly registerSet?: RegisterSet;

  /** Threads alive at the current stop; empty once the process is gone. */
  threads(): MaybePromise<readonly ThreadId[]>;
  /** Why the target is stopped now: the answer to `?` when a gdb connects. */
  currentStop(): MaybePromise<StopReason>;

  /**
   * All registers of `thread` in gdb's order (registerLayout(registerSet)), little-endian.
   * A shorter result is allowed: the missing registers are reported as unavailable.
   */
  readRegisters(thread: ThreadId): MaybePromise<Uint8Array>;
  /**
   * Up to `length` bytes from `addr` in the address space of `thread`'s process. A partial read
   * returns the readable prefix; nothing readable returns an empty array (or throws).
   */
  readMemory(thread: ThreadId, addr: bigint, length: number): MaybePromise<Uint8Array>;

  /**
   * Run until something gdb must hear about. May take long; the server keeps reading the socket
   * and calls `interrupt()` on ^C. Backward requests only come if `canReverse` is true.
   */
  resume(request: ResumeRequest): Promise<StopReason>;
  /** Make the pending resume() settle soon, typically with a SIGINT stop. Idempotent. */
  interrupt(): void;

  /** gdb detached (D). The server stops serving after this. */
  detach(): MaybePromise<void>;
  /** gdb killed the process (k / vKill). The server stops serving after this (not in extended mode: see restart). */
  kill(): MaybePromise<void>;

  // ---- optional capabilities: absent means gdb is told they are unsupported ----

  /** Accepts bc/bs (advertised as ReverseContinue+/ReverseStep+). */
  readonly canReverse?: boolean;
  /** Breakpoints and watchpoints (Z/z packets). */
  readonly breakpoints?: BreakpointSupport;
  /** G/P: replace all registers (same layout as readRegisters). Without it, writes get E01. */
  writeRegisters?(thread: ThreadId, data: Uint8Array): MaybePromise<void>;
  /** M/X. Without it, writes get E01. */
  writeMemory?(thread: ThreadId, addr: bigint, data: Uint8Array): MaybePromise<void>;
  /** Raw auxiliary vector of the process (qXfer:auxv:read). */
  auxv?(pid: number): MaybePromise<Uint8Array>;
  /** Absolute path of the executable (qXfer:exec-file:read). */
  execFile?(pid: number): MaybePromise<string>;
  /** The <library-list-svr4> XML document (qXfer:libraries-svr4:read). */
  librariesSvr4?(pid: number): MaybePromise<string>;
  /**
   * Host I/O (vFile:open, pread, fstat, close): the file `path` names in the debugged program's file
   * system, opened read-only. Throws TargetError with a Linux errno (ENOENT = 2…) when there is none.
   * With it the server answers vFile packets; opening for writing and unlink are refused (EROFS).
   */
  openFile?(path: string): MaybePromise<TargetFile>;
  /** vFile:readlink: where the symbolic link `path` points; TargetError (ENOENT, EINVAL…) otherwise. */
  readLink?(path: string): MaybePromise<string>;
  /** A `monitor CMD` command; returns the text to print (may be empty). */
  monitor?(command: string): MaybePromise<string>;
  /** Short free-form description shown by `info threads` (qThreadExtraInfo). */
  threadInfo?(thread: ThreadId): MaybePromise<string>;
  /**
   * gdb's `run` in extended mode (vRun): start the program again, at a point `args` may choose (the
   * words after `run`; `program` is the file gdb names, often empty). Resolves with the stop there;
   * throws (TargetError) for arguments it does not understand. With it the server offers extended
   * mode (`!`): a kill then leaves the target to be restarted, and serving ends on hang-up.
   */
  restart?(program: string, args: readonly string[]): MaybePromise<StopReason>;
}

/** An error whose errno (1..255) goes into the `E NN` reply. */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly errno: number = 1,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}
