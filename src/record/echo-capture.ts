// Recording: bytes that reach rewind's stdout/stderr without passing through the program's memory
// (sendfile, copy_file_range, splice from a file). The recorder reads them back from the source file
// at the offset the call used, so replay can re-emit them.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { SYS } from '../kernel/syscall-names.js';
import { UnsupportedError } from '../tracee/errors.js';
import type { Task } from '../tracee/task.js';

/** For a syscall that moves data between fds in the kernel: its out fd, in fd and in-offset pointer. */
export function kernelCopy(nr: number, args: readonly bigint[]): { out: bigint; in: bigint; offPtr: bigint } | null {
  switch (nr) {
    case SYS.sendfile: return { out: args[0]!, in: args[1]!, offPtr: args[2]! };
    case SYS.copy_file_range:
    case SYS.splice: return { out: args[2]!, in: args[0]!, offPtr: args[1]! };
    case SYS.tee: return { out: args[1]!, in: args[0]!, offPtr: 0n };
    default: return null;
  }
}

/** At syscall entry: the offset the call will read its input from. */
export function inputOffset(task: Task, nr: number, fdIn: bigint, offPtr: bigint): bigint {
  const source = `/proc/${task.tid}/fd/${fdIn}`;
  let isFile = false;
  try { isFile = statSync(source).isFile(); } catch { /* closed fd: the call will fail */ }
  if (!isFile || nr === SYS.tee) {
    throw new UnsupportedError('output sent to stdout/stderr from a pipe or socket in the kernel (splice, tee, sendfile) cannot be reproduced yet');
  }
  if (offPtr !== 0n) return task.readU64(offPtr);
  const info = readFileSync(`/proc/${task.tid}/fdinfo/${fdIn}`, 'utf8');
  const m = /^pos:\s*(\d+)/m.exec(info);
  return m ? BigInt(m[1]!) : 0n;
}

/** After the call: the `len` bytes it copied, read from the source file. */
export function copiedBytes(task: Task, fdIn: bigint, offset: bigint, len: number): Uint8Array {
  const fd = openSync(`/proc/${task.tid}/fd/${fdIn}`, 'r');
  try {
    const buf = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const n = readSync(fd, buf, done, len - done, Number(offset) + done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
