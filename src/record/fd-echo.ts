// Recording: which of the program's file descriptors still refer to rewind's own stdout and stderr,
// so replay can re-emit exactly the writes that went there. Followed through the fd-table changes the
// syscall table states (`fds`: dup, dup2, dup3, fcntl(F_DUPFD), close, close_range); which writes are
// re-emitted is the table's `writes.echo`.
import type { SyscallDef } from '../kernel/syscalls/types.js';

export class FdEcho {
  private readonly fds = new Map<number, number>([[1, 1], [2, 2]]);

  /** A copy for a forked process, which gets a copy of its parent's descriptor table. */
  clone(): FdEcho {
    const c = new FdEcho();
    c.fds.clear();
    for (const [fd, t] of this.fds) c.fds.set(fd, t);
    return c;
  }

  /** 1 or 2 if fd is the recorder's stdout or stderr, else 0. */
  target(fd: bigint): number {
    return this.fds.get(Number(BigInt.asIntN(32, fd))) ?? 0;
  }

  /** For a write the table marks `echo`: 1 or 2 when its fd is the recorder's stdout or stderr, else 0. */
  echoOf(def: SyscallDef | undefined, args: readonly bigint[]): number {
    const w = def?.writes;
    return w?.echo ? this.target(args[w.fd]!) : 0;
  }

  /** Follows a completed syscall's effect on the descriptor table. */
  update(def: SyscallDef | undefined, args: readonly bigint[], result: bigint): void {
    const change = result < 0n ? null : def?.fds?.(args, result);
    if (!change) return;
    if ('copy' in change) {
      this.copy(change.copy, change.to);
    } else if ('close' in change) {
      this.fds.delete(change.close);
    } else {
      for (const fd of [...this.fds.keys()]) if (fd >= change.closeFrom && fd <= change.closeTo) this.fds.delete(fd);
    }
  }

  private copy(from: number, to: number): void {
    const t = this.fds.get(from);
    if (t) this.fds.set(to, t);
    else this.fds.delete(to);
  }
}
