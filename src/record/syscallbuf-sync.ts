// Syscall buffer, record only: keeps each process's copy of what the recorder knows and the buffer
// must obey (PROC in layout.ts) current before the process runs: which fds are rewind's stdout and
// stderr (the recorder's FdEcho: a buffered write there keeps its bytes, for replay to re-emit), and
// which files the recorder follows changes of (SharedFiles: writes to them go to the tracer, which
// records the change), and where a buffered munmap or mprotect may not act (GuardedMemory). And the
// other way round: a buffered close is run through the same fd model
// as a traced one when the records are taken.
import type { FdEcho } from './fd-echo.js';
import type { GuardedMemory } from './guarded-memory.js';
import type { SharedFiles } from './shared-files.js';
import { SYS } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import type { Task } from '../tracee/task.js';
import { writeEchoFds, writeGuarded, writeWatched } from '../syscallbuf/install.js';
import { ECHO_TO_TRACER } from '../syscallbuf/layout.js';
import { closedFds } from '../syscallbuf/records.js';

interface Written { echo: FdEcho; echoVersion: number; echoHeld: boolean; watchVersion: number; guardedVersion: number }

export class BufferSync {
  /** Per process (tgid): the versions of the models last written into it. */
  private readonly written = new Map<number, Written>();
  private watchVersion = 0;

  constructor(private readonly shared: SharedFiles, private readonly guarded: GuardedMemory) {}

  /**
   * Right before task (with a buffer) runs. A new file to follow is written into every process at
   * once (`processes`: one task of each process with a buffer, running or not). `echoHeld`: another
   * task's write to rewind's stdout or stderr waits in the kernel (for the reader), so the task's own
   * writes there go to the tracer, which lets them in only after it (Recorder.finishEchoWrites): one
   * made in the buffer would race it for the pipe, and the order the reader got the bytes in would
   * not be the order of the events, which replay re-emits them in.
   */
  beforeRun(task: Task, echo: FdEcho, echoHeld: boolean, processes: () => Task[]): void {
    if (this.shared.version !== this.watchVersion) {
      this.watchVersion = this.shared.version;
      const files = this.shared.watched();
      for (const t of processes()) {
        try {
          writeWatched(t, files);
          const w = this.written.get(t.tgid);
          if (w) w.watchVersion = this.watchVersion;
        } catch {
          // gone: nothing of it runs again
        }
      }
    }
    const w = this.written.get(task.tgid);
    if (!w || w.watchVersion !== this.watchVersion) writeWatched(task, this.shared.watched());
    if (!w || w.echo !== echo || w.echoVersion !== echo.version || w.echoHeld !== echoHeld) {
      writeEchoFds(task, echoHeld ? echo.entries().map(([fd, target]) => [fd, target === 0 ? 0 : ECHO_TO_TRACER]) : echo.entries());
    }
    const guarded = this.guarded.of(task.tid);
    const guardedVersion = guarded?.version ?? -1;
    if (guarded && (!w || w.guardedVersion !== guardedVersion)) writeGuarded(task, guarded.ranges);
    this.written.set(task.tgid, { echo, echoVersion: echo.version, echoHeld, watchVersion: this.watchVersion, guardedVersion });
  }

  /** A new image: its process starts with nothing written (all fds unknown). */
  execed(tgid: number): void {
    this.written.delete(tgid);
  }

  /** Records just taken from a task of the process whose fd model is `echo`: buffered closes update it. */
  taken(task: Task, echo: FdEcho, records: Uint8Array, count: number): void {
    const close = syscallDef(SYS.close);
    for (const fd of closedFds(records, count)) echo.update(close, [BigInt(fd)], 0n, task);
  }
}
