// Replay: re-emits what the program wrote to rewind's stdout/stderr during recording. The bytes come from
// the replayed program's own memory (proof that it recomputed them), not from the trace.
import { writeSync } from 'node:fs';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { SyscallEvent } from '../trace/events.js';
import type { Task } from '../tracee/task.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function echoWrite(task: Task, ev: SyscallEvent): void {
  let len = Number(ev.result);
  const parts: Uint8Array[] = [];
  if (ev.output) {
    parts.push(ev.output);
  } else if (ev.nr === SYS.write) {
    parts.push(task.read(ev.regs[R.rsi]!, len));
  } else if (ev.nr === SYS.writev) {
    const iov = ev.regs[R.rsi]!;
    const count = Number(ev.regs[R.rdx]!);
    for (let i = 0; i < count && len > 0; i++) {
      const base = task.readU64(iov + BigInt(i * 16));
      const size = Number(task.readU64(iov + BigInt(i * 16 + 8)));
      const n = Math.min(size, len);
      parts.push(task.read(base, n));
      len -= n;
    }
  }
  for (const p of parts) writeAll(ev.echo, p);
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
