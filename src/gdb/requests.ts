// gdb layer: typed requests, the result of parsing one packet (parse-*.ts) and the input of the
// session. A union keyed by `kind`. Imports nothing from rewind outside src/gdb.

import type { Breakpoint, Direction } from './target.js';
import type { ThreadSelector } from './thread-id.js';

export interface ResumeAction {
  action: 'continue' | 'step' | 'stop';
  /** gdb signal number to deliver, 0 for none. */
  signal: number;
  /** Threads it applies to; null: every thread not named by an earlier action. */
  thread: ThreadSelector | null;
}

/** One Host I/O operation (vFile:OP:…, gdb manual "Host I/O Packets"); numbers already decoded. */
export type HostIoRequest =
  /** Whose file system later paths name: 0 the server's, else a process id. */
  | { op: 'setfs'; pid: number }
  /** flags and mode are gdb's File-I/O values (O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0x200…). */
  | { op: 'open'; path: string; flags: number; mode: number }
  | { op: 'pread'; fd: number; count: number; offset: number }
  /** The data is not kept: every write is refused. */
  | { op: 'pwrite'; fd: number; offset: number }
  | { op: 'close'; fd: number }
  | { op: 'fstat'; fd: number }
  | { op: 'unlink'; path: string }
  | { op: 'readlink'; path: string }
  /** A known operation with bad arguments (bad hex, missing field, negative count…): EINVAL. */
  | { op: 'invalid'; name: string; reason: string };

export type Request =
  /** qSupported: gdb's features, name → '+', '-', '?' or the value after '='. */
  | { kind: 'query-supported'; features: ReadonlyMap<string, string> }
  | { kind: 'start-no-ack' }
  /** `?`: why did the target stop. */
  | { kind: 'stop-reason' }
  | { kind: 'read-registers' }
  | { kind: 'write-registers'; data: Uint8Array }
  | { kind: 'read-register'; regnum: number }
  | { kind: 'write-register'; regnum: number; data: Uint8Array }
  /** m (hex reply) or x (binary reply). */
  | { kind: 'read-memory'; addr: bigint; length: number; binary: boolean }
  /** M or X. */
  | { kind: 'write-memory'; addr: bigint; data: Uint8Array }
  /** Hg (registers and memory) / Hc (legacy resume). */
  | { kind: 'set-thread'; op: 'g' | 'c'; thread: ThreadSelector }
  /** T: is the thread alive. */
  | { kind: 'thread-alive'; thread: ThreadSelector }
  /**
   * c, s, C, S, bc, bs (legacy: one action for the Hc thread) or vCont (actions in order; the
   * first action naming a thread applies to it).
   */
  | { kind: 'resume'; direction: Direction; actions: readonly ResumeAction[]; legacy: boolean }
  | { kind: 'vcont-query' }
  | { kind: 'breakpoint'; insert: boolean; breakpoint: Breakpoint }
  /** qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH. */
  | { kind: 'xfer-read'; object: string; annex: string; offset: number; length: number }
  /** qfThreadInfo (first) / qsThreadInfo. */
  | { kind: 'thread-list'; first: boolean }
  | { kind: 'current-thread' }
  | { kind: 'attached' }
  | { kind: 'symbol' }
  | { kind: 'monitor'; command: string }
  | { kind: 'thread-extra-info'; thread: ThreadSelector }
  /** D or D;PID. */
  | { kind: 'detach'; pid: number | null }
  /** k (no reply) or vKill;PID (reply OK). */
  | { kind: 'kill'; pid: number | null; reply: boolean }
  /** `!`: extended mode (the connection outlives the process; gdb may `run` it again). */
  | { kind: 'extended-mode' }
  /** vRun;PROGRAM;ARG…: start the program again (hex-decoded; PROGRAM is often empty). */
  | { kind: 'run'; program: string; args: readonly string[] }
  /** vFile:OP:ARGS (Host I/O): answered with `F RESULT[,ERRNO][;DATA]`. */
  | { kind: 'host-io'; request: HostIoRequest }
  /** A packet this server does not implement: answered with an empty packet. */
  | { kind: 'unsupported'; name: string }
  /** A known packet with bad arguments: answered with E01. */
  | { kind: 'malformed'; reason: string };

export type RequestKind = Request['kind'];

export function malformed(reason: string): Request {
  return { kind: 'malformed', reason };
}

export function unsupported(packet: string): Request {
  return { kind: 'unsupported', name: packet.slice(0, 32) };
}
