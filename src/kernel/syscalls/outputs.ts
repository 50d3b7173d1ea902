// Constructors for OutputRule: which tracee memory a syscall wrote, computed after it returned.
// Over-recording bytes the kernel did not change is harmless (replay writes back what was already there),
// so rules may round up; they must never under-record. Rules for structured arguments (msghdr, select,
// ioctl…) live in outputs-net.ts and outputs-cmd.ts.

import { E, isRestartErrno } from '../errno.js';
import type { OutputRule, Region, SyscallCtx } from './types.js';

/** Extra facts a rule function may carry (properties on the function object; OutputRule is unchanged). */
export interface RuleInfo {
  /** Short human description for docs/SYSCALLS.md ("arg1: 144 bytes"). */
  label?: string;
  /**
   * The recorder calls this rule for every result, errors included (the rule checks `c.result` itself).
   * Without it a rule runs only when result >= 0. Used where the kernel writes on failure, e.g.
   * nanosleep's remaining time on -EINTR.
   */
  onError?: boolean;
}
export type Rule = OutputRule & RuleInfo;

/** True when the recorder must call `rule` even though the syscall failed. */
export function runsOnError(rule: OutputRule): boolean {
  return (rule as Rule).onError === true;
}
/** The rule's description, for docs and messages. */
export function ruleLabel(rule: OutputRule): string {
  return (rule as Rule).label ?? 'custom';
}

/** Wraps a function as a Rule with a label. */
export function rule(label: string, f: OutputRule, onError = false): Rule {
  const r = f as Rule;
  r.label = label;
  if (onError) r.onError = true;
  return r;
}

// ---- argument and memory helpers -------------------------------------------------------------------

/** Raw argument as an unsigned 64-bit value (pointers, size_t). */
export function argU64(c: SyscallCtx, i: number): bigint {
  return BigInt.asUintN(64, c.args[i] ?? 0n);
}
/** Argument as the C `int` / `unsigned int` the kernel truncates it to. */
export function argInt(c: SyscallCtx, i: number): number {
  return Number(BigInt.asIntN(32, c.args[i] ?? 0n));
}
export function argU32(c: SyscallCtx, i: number): number {
  return Number(BigInt.asUintN(32, c.args[i] ?? 0n));
}
/** A size_t argument as a number (sizes beyond 2^53 cannot have succeeded). */
export function argSize(c: SyscallCtx, i: number): number {
  return Number(argU64(c, i));
}
/** The non-negative result as a number of bytes/items. */
export function resultNum(c: SyscallCtx): number {
  return c.result > 0n ? Number(c.result) : 0;
}

export function readU32(c: SyscallCtx, addr: bigint): number {
  const b = c.readMem(addr, 4);
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
}
export function readU64(c: SyscallCtx, addr: bigint): bigint {
  const b = c.readMem(addr, 8);
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
}
export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Most iovecs the kernel accepts in one call (UIO_MAXIOV). */
export const UIO_MAXIOV = 1024;

/** Regions covering the first `total` bytes of the iovec array at `iovAddr` (count entries). */
export function spreadOverIovecs(c: SyscallCtx, iovAddr: bigint, count: number, total: number): Region[] {
  const out: Region[] = [];
  if (iovAddr === 0n || count <= 0 || total <= 0) return out;
  const n = Math.min(count, UIO_MAXIOV);
  const v = view(c.readMem(iovAddr, n * 16));
  let left = total;
  for (let i = 0; i < n && left > 0; i++) {
    const base = v.getBigUint64(i * 16, true);
    const len = Number(v.getBigUint64(i * 16 + 8, true));
    const take = Math.min(len, left);
    if (take > 0) out.push({ addr: base, len: take });
    left -= take;
  }
  return out;
}

// ---- generic rules ---------------------------------------------------------------------------------

/** `size` bytes at the pointer in arg `argIndex`. */
export function fixed(argIndex: number, size: number): Rule {
  return rule(`arg${argIndex}: ${size} bytes`, (c) => [{ addr: argU64(c, argIndex), len: size }]);
}
/** An int / u32 at arg `argIndex`. */
export function u32(argIndex: number): Rule {
  return fixed(argIndex, 4);
}
/** A u64 / long / pointer at arg `argIndex`. */
export function u64(argIndex: number): Rule {
  return fixed(argIndex, 8);
}
/** Two ints at arg `argIndex` (pipe, pipe2, socketpair). */
export function intPair(argIndex: number): Rule {
  return fixed(argIndex, 8);
}

/** `result` bytes at arg `argIndex` (read, getrandom, readlink…); capped by arg `capArg` when given. */
export function resultBytes(argIndex: number, capArg?: number): Rule {
  const label = `arg${argIndex}: result bytes${capArg === undefined ? '' : ` (at most arg${capArg})`}`;
  return rule(label, (c) => {
    let len = resultNum(c);
    if (capArg !== undefined) len = Math.min(len, argSize(c, capArg));
    return [{ addr: argU64(c, argIndex), len }];
  });
}
/** `result` elements of `elemSize` bytes at arg `argIndex` (epoll_wait: 12, getgroups: 4). */
export function resultItems(argIndex: number, elemSize: number): Rule {
  return rule(`arg${argIndex}: result × ${elemSize} bytes`, (c) => [{ addr: argU64(c, argIndex), len: resultNum(c) * elemSize }]);
}
/** arg `sizeArgIndex` bytes at arg `argIndex` (rt_sigprocmask's old set, sched_getattr…). */
export function sizeFromArg(argIndex: number, sizeArgIndex: number, extra = 0): Rule {
  const label = `arg${argIndex}: ${extra ? `${extra} + ` : ''}arg${sizeArgIndex} bytes`;
  return rule(label, (c) => [{ addr: argU64(c, argIndex), len: extra + argSize(c, sizeArgIndex) }]);
}
/**
 * socklen_t-style in/out length: the u32 at arg `lenPtrArg` after the call gives the bytes written at
 * arg `bufArg` (capped at `cap`: for addresses the kernel stores the full length but writes at most the
 * buffer, which is never larger than sockaddr_storage). The u32 itself is recorded too.
 */
export function inOutLen(bufArg: number, lenPtrArg: number, cap = Infinity): Rule {
  return rule(`arg${bufArg}: *arg${lenPtrArg} bytes; arg${lenPtrArg}: 4 bytes`, (c) => {
    const lenPtr = argU64(c, lenPtrArg);
    if (lenPtr === 0n) return [];
    const len = Math.min(readU32(c, lenPtr), cap);
    return [{ addr: lenPtr, len: 4 }, { addr: argU64(c, bufArg), len }];
  });
}
/** A socket address and its length (accept, getsockname, recvfrom…). */
export function sockaddrOut(addrArg: number, lenPtrArg: number): Rule {
  return inOutLen(addrArg, lenPtrArg, 128);
}
/** `result` bytes spread over the iovec array at arg `iovArg` with arg `countArg` entries (readv…). */
export function iovecResult(iovArg: number, countArg: number): Rule {
  return rule(`iovecs at arg${iovArg}: result bytes`, (c) =>
    spreadOverIovecs(c, argU64(c, iovArg), argInt(c, countArg), resultNum(c)),
  );
}
/** Applies `r` only when `pred` holds. */
export function when(pred: (c: SyscallCtx) => boolean, r: Rule, what: string): Rule {
  return rule(`${r.label ?? 'custom'} (only if ${what})`, (c) => (pred(c) ? r(c) : []), r.onError === true);
}

/** -EINTR, or the restart codes a tracer sees at the exit stop of an interrupted call. */
export function interrupted(c: SyscallCtx): boolean {
  const e = -Number(c.result);
  return e === E.EINTR || isRestartErrno(c.result);
}
/** `size` bytes at arg `argIndex` written when the call was interrupted (nanosleep's remaining time). */
export function fixedOnInterrupt(argIndex: number, size: number): Rule {
  return rule(`arg${argIndex}: ${size} bytes if interrupted`, (c) => (interrupted(c) ? [{ addr: argU64(c, argIndex), len: size }] : []), true);
}
/** `size` bytes at arg `argIndex` on success or interruption (select/ppoll/pselect6 remaining timeout). */
export function fixedUnlessFailed(argIndex: number, size: number): Rule {
  return rule(`arg${argIndex}: ${size} bytes on success or interrupt`, (c) =>
    c.result >= 0n || interrupted(c) ? [{ addr: argU64(c, argIndex), len: size }] : [], true);
}
