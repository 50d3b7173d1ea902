// Recording: bytes that reach rewind's stdout/stderr without passing through the program's memory
// (the table's `copies`: sendfile, copy_file_range, splice from a file). The recorder reads them back
// from the source file at the offset the call used, so replay can re-emit them.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { SyscallDef } from '../kernel/syscalls/types.js';
import { UnsupportedError } from '../tracee/errors.js';
import type { Task } from '../tracee/task.js';
import type { FdEcho } from './fd-echo.js';

/** A kernel copy to rewind's stdout/stderr: which (1, 2), and the input fd and offset it reads from. */
export interface EchoedCopy {
  echo: number;
  fdIn: bigint;
  from: bigint;
}

/** At a syscall's entry: when it is a kernel copy (the table's `copies`) to rewind's stdout/stderr, where it reads. */
export function echoedCopy(task: Task, def: SyscallDef, args: readonly bigint[], fds: FdEcho): EchoedCopy | null {
  const c = def.copies;
  const echo = c ? fds.target(args[c.out]!) : 0;
  if (!c || !echo) return null;
  const fdIn = args[c.in]!;
  return { echo, fdIn, from: inputOffset(task, fdIn, c.inOffset === undefined ? null : args[c.inOffset]!) };
}

/** At syscall entry: the offset the call will read its input from (offPtr null: its input is a pipe). */
function inputOffset(task: Task, fdIn: bigint, offPtr: bigint | null): bigint {
  const source = `/proc/${task.tid}/fd/${fdIn}`;
  let isFile = false;
  try { isFile = statSync(source).isFile(); } catch { /* closed fd: the call will fail */ }
  if (!isFile || offPtr === null) {
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
