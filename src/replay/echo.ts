// Replay: re-emits what the program wrote to rewind's stdout/stderr during recording. The bytes come from
// the replayed program's own memory (proof that it recomputed them), not from the trace; bytes the
// kernel moved without the program's memory (sendfile…) come from the event (`output`).
import { writeSync } from 'node:fs';
import { SYSCALL_ARG_REGS } from '../kernel/regs.js';
import type { SyscallEvent } from '../trace/events.js';
import type { Task } from '../tracee/task.js';
import { writtenRanges } from '../tracee/write-data.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The bytes on their way from the program to rewind's output, one buffer reused: a fresh one for each
 * write (gzip writes 256 KiB at a time) is fresh memory, and on a VM that faults each new page in at
 * ~11 µs that cost more than the copies (gzip's replay: ~100 ms for 31 MiB).
 */
let scratch = new Uint8Array(64 << 10);

export function echoWrite(task: Task, ev: SyscallEvent): void {
  if (ev.output) {
    writeAll(ev.echo, ev.output);
    return;
  }
  const args = SYSCALL_ARG_REGS.map((r) => ev.regs[r]!);
  for (const r of writtenRanges(task, ev.nr, args, ev.result) ?? []) echoFromTask(task, ev.echo, r.addr, r.len);
}

/** Re-emits on fd (1 or 2) the len bytes of the program's memory at addr. */
export function echoFromTask(task: Task, fd: number, addr: bigint, len: number): void {
  if (len > scratch.length) scratch = new Uint8Array(Math.max(len, scratch.length * 2));
  const bytes = scratch.subarray(0, len);
  task.readFully(addr, bytes);
  writeAll(fd, bytes);
}

/** Re-emits bytes a buffered write sent to rewind's stdout (1) or stderr (2), as the program wrote them at replay. */
export function echoBytes(fd: number, data: Uint8Array): void {
  writeAll(fd, data);
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return; // the reader went away (replay | head): drop the rest quietly
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}
