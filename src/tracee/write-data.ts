// Traced-process model: the bytes a write-like syscall took from the program's memory, and their hash,
// so replay can check the program wrote what it wrote when recorded (same registers are not enough:
// the data is memory). Which calls are write-like, and where their bytes are, is the table's `writes`.
import { Struct } from '../kernel/structs.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import type { MemRange } from '../trace/events.js';
import { hashRanges } from './point-memory.js';
import type { Task } from './task.js';

/** At most this many iovecs are followed (the kernel's UIO_MAXIOV). */
const MAX_IOV = 1024;

/** The first `total` bytes of an iovec array, as ranges. */
function iovRanges(task: Task, iov: bigint, count: bigint, total: bigint): MemRange[] {
  const out: MemRange[] = [];
  const n = Number(count > BigInt(MAX_IOV) ? BigInt(MAX_IOV) : count);
  let left = total;
  for (let i = 0; i < n && left > 0n; i++) {
    const at = iov + BigInt(i * Struct.iovec.size);
    const base = task.readU64(at + BigInt(Struct.iovec.iov_base));
    const len = task.readU64(at + BigInt(Struct.iovec.iov_len));
    const take = len < left ? len : left;
    if (take > 0n) out.push({ addr: base, len: Number(take) });
    left -= take;
  }
  return out;
}

/**
 * The memory a write-like call with these arguments took its `result` bytes from; null when it is not
 * write-like or moved nothing.
 */
export function writtenRanges(task: Task, nr: number, args: readonly bigint[], result: bigint): MemRange[] | null {
  const from = syscallDef(nr)?.writes?.from;
  if (!from || result <= 0n) return null;
  if ('buf' in from) return [{ addr: args[from.buf]!, len: Number(result) }];
  if ('iov' in from) return iovRanges(task, args[from.iov]!, args[from.iov + 1]!, result);
  const msg = args[from.msghdr]!;
  const iov = task.readU64(msg + BigInt(Struct.msghdr.msg_iov));
  const count = task.readU64(msg + BigInt(Struct.msghdr.msg_iovlen));
  return iovRanges(task, iov, count, result);
}

/**
 * The hash of the data a write-like call took (SHA-256 of the bytes, first 8 bytes little-endian), or
 * null when there is none or it cannot be read.
 */
export function writtenDataHash(task: Task, nr: number, args: readonly bigint[], result: bigint): bigint | null {
  try {
    const ranges = writtenRanges(task, nr, args, result);
    return ranges ? hashRanges(task, ranges) : null;
  } catch {
    return null; // an iovec array that cannot be read
  }
}
