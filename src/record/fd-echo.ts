// Recording: which of the program's file descriptors still refer to rewind's own stdout and stderr,
// so replay can re-emit exactly the writes that went there. Followed through the fd-table changes the
// syscall table states (`fds`: dup, dup2, dup3, fcntl(F_DUPFD), close, close_range, and the fds a call
// receives from elsewhere: pidfd_getfd, recvmsg/recvmmsg with SCM_RIGHTS, each looked at through
// /proc/TID/fd); which writes are re-emitted is the table's `writes.echo`.
import type { SyscallDef } from '../kernel/syscalls/types.js';
import { fstatSync, statSync } from 'node:fs';

/**
 * 1 or 2 when the open file `procFd` (/proc/TID/fd/N) is rewind's own stdout or stderr (the same file
 * and device), else 0: for a descriptor the program got from elsewhere than its own table (pidfd_getfd,
 * SCM_RIGHTS).
 */
export function echoTargetOf(procFd: string): number {
  try {
    const st = statSync(procFd, { bigint: true });
    for (const fd of [1, 2]) {
      const own = fstatSync(fd, { bigint: true });
      if (own.dev === st.dev && own.ino === st.ino) return fd;
    }
  } catch {
    // gone, or rewind's own closed: not an echo target
  }
  return 0;
}

/** struct msghdr: offset of msg_control (msg_controllen follows it); struct mmsghdr's size (recvmmsg). */
const MSG_CONTROL = 32n;
const MMSGHDR_SIZE = 64n;
/** struct cmsghdr: its header's size; SOL_SOCKET and SCM_RIGHTS. */
const CMSG_HDR = 16;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

/**
 * The descriptors a successful recvmsg (one msghdr at `msg`) or recvmmsg (`count` mmsghdrs) received
 * with SCM_RIGHTS, read from the control buffers after the call.
 */
export function receivedFds(read: (addr: bigint, len: number) => Uint8Array, msg: bigint, count: number): number[] {
  const fds: number[] = [];
  for (let i = 0n; i < BigInt(count); i++) {
    const at = msg + i * MMSGHDR_SIZE;
    const head = read(at + MSG_CONTROL, 16);
    const hv = new DataView(head.buffer, head.byteOffset, 16);
    const control = hv.getBigUint64(0, true);
    const len = Number(hv.getBigUint64(8, true));
    if (control === 0n || len < CMSG_HDR || len > 1 << 16) continue;
    const buf = read(control, len);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let off = 0; off + CMSG_HDR <= len;) {
      const clen = Number(v.getBigUint64(off, true));
      if (clen < CMSG_HDR || off + clen > len) break;
      if (v.getInt32(off + 8, true) === SOL_SOCKET && v.getInt32(off + 12, true) === SCM_RIGHTS) {
        for (let k = off + CMSG_HDR; k + 4 <= off + clen; k += 4) fds.push(v.getInt32(k, true));
      }
      off += (clen + 7) & ~7;
    }
  }
  return fds;
}

/** Whether rewind's stdout and stderr are one file (a terminal, `2>&1`): writes to either share one order. */
export function stdoutIsStderr(): boolean {
  try {
    const a = fstatSync(1, { bigint: true });
    const b = fstatSync(2, { bigint: true });
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** What `FdEcho.update` looks at for fds a call received: the task's fd table in /proc and its memory. */
export interface TaskFds {
  readonly tid: number;
  read(addr: bigint, len: number): Uint8Array;
}

export class FdEcho {
  private readonly fds = new Map<number, number>([[1, 1], [2, 2]]);
  /** Bumped at every change (the syscall buffer's copy of the model follows it). */
  version = 0;

  /** The descriptors that are rewind's stdout (1) or stderr (2). */
  entries(): [number, number][] {
    return [...this.fds];
  }

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

  /** A new descriptor the program got from elsewhere (pidfd_getfd, SCM_RIGHTS): rewind's stdout or stderr, or not. */
  private adopt(fd: number, target: number): void {
    this.version++;
    if (target) this.fds.set(fd, target);
    else this.fds.delete(fd);
  }

  /** For a write the table marks `echo`: 1 or 2 when its fd is the recorder's stdout or stderr, else 0. */
  echoOf(def: SyscallDef | undefined, args: readonly bigint[]): number {
    const w = def?.writes;
    return w?.echo ? this.target(args[w.fd]!) : 0;
  }

  /** Follows a completed syscall's effect on the descriptor table of `task` (stopped at the call's exit). */
  update(def: SyscallDef | undefined, args: readonly bigint[], result: bigint, task: TaskFds): void {
    const change = result < 0n ? null : def?.fds?.(args, result);
    if (!change) return;
    this.version++;
    if ('copy' in change) {
      this.copy(change.copy, change.to);
    } else if ('close' in change) {
      this.fds.delete(change.close);
    } else if ('closeFrom' in change) {
      for (const fd of [...this.fds.keys()]) if (fd >= change.closeFrom && fd <= change.closeTo) this.fds.delete(fd);
    } else if ('received' in change) {
      this.adopt(change.received, echoTargetOf(`/proc/${task.tid}/fd/${change.received}`));
    } else {
      for (const fd of receivedFds((a, n) => task.read(a, n), change.rightsIn, change.count)) {
        this.adopt(fd, echoTargetOf(`/proc/${task.tid}/fd/${fd}`));
      }
    }
  }

  private copy(from: number, to: number): void {
    const t = this.fds.get(from);
    if (t) this.fds.set(to, t);
    else this.fds.delete(to);
  }
}
