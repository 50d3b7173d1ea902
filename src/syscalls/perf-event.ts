// Irregular syscall: perf_event_open(2). The table records it as an emulated call (the real call runs
// at record: software events count, a hardware event gets the kernel's own answer) and replay hands
// back the recorded fd; read, ioctl (ENABLE, DISABLE, RESET, ID…), poll and close on it are emulated
// calls like any other, so the counts the program read come back from the trace and replay needs no
// real event. What the kernel does with such a descriptor behind the tracer cannot be recorded that
// way: its ring buffer (mmap of the fd), the signals it sends (O_ASYNC, F_SETSIG, attr.sigtrap).
// Those are refused at the call's entry, one line each. Record half only: replay has nothing to do.
import { readlinkSync } from 'node:fs';
import { F_SETFL, F_SETSIG, FIOASYNC, O_ASYNC } from '../kernel/fcntl.js';
import { isSharedMapping, MAP_ANONYMOUS } from '../kernel/mman.js';
import { PERF_ATTR_FLAGS, PERF_ATTR_SIGTRAP_BIT, PERF_EVENT_FD_LINK } from '../kernel/perf-event.js';
import { SYS } from '../kernel/syscall-names.js';
import type { Task } from '../tracee/task.js';

/** Whether fd of task tid is a perf event. */
function isPerfFd(tid: number, fd: bigint): boolean {
  if (fd < 0n) return false;
  try {
    return readlinkSync(`/proc/${tid}/fd/${fd}`) === PERF_EVENT_FD_LINK;
  } catch {
    return false; // not open: the call fails with EBADF, as natively
  }
}

function readU64(task: Task, addr: bigint): bigint | null {
  try {
    const b = task.read(addr, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  } catch {
    return null; // a bad pointer: the kernel answers EFAULT, recorded as any result
  }
}

/** At a syscall's entry: why recording cannot follow what this call asks of a perf event, or null. */
export function perfEventRefusal(task: Task, nr: number, args: readonly bigint[]): string | null {
  const fd = BigInt.asIntN(32, args[nr === SYS.perf_event_open ? 3 : nr === SYS.mmap ? 4 : 0] ?? -1n);
  switch (nr) {
    case SYS.perf_event_open: {
      const flags = args[0] === 0n ? null : readU64(task, args[0]! + BigInt(PERF_ATTR_FLAGS));
      if (flags !== null && ((flags >> PERF_ATTR_SIGTRAP_BIT) & 1n) === 1n) {
        return 'attr.sigtrap (a SIGTRAP at each overflow, sent by the kernel behind the tracer) is not supported';
      }
      return null;
    }
    case SYS.mmap:
      // The kernel maps a perf event's ring buffer only shared (perf_mmap: EINVAL without VM_SHARED):
      // a private or anonymous mapping needs no look at the fd (ld.so maps every library privately).
      if ((args[3]! & MAP_ANONYMOUS) !== 0n || !isSharedMapping(args[3]!) || !isPerfFd(task.tid, fd)) return null;
      return 'mapping a perf event\'s ring buffer (the kernel fills it behind the tracer) is not supported';
    case SYS.fcntl: {
      const cmd = Number(BigInt.asIntN(32, args[1]!));
      const asks = (cmd === F_SETFL && (args[2]! & O_ASYNC) !== 0n) || cmd === F_SETSIG;
      if (!asks || !isPerfFd(task.tid, fd)) return null;
      return 'signals from a perf event (O_ASYNC, F_SETSIG) are not supported';
    }
    case SYS.ioctl: {
      if (Number(BigInt.asUintN(32, args[1]!)) !== FIOASYNC || !isPerfFd(task.tid, fd)) return null;
      let on = 0;
      try {
        const b = task.read(args[2]!, 4);
        on = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
      } catch {
        return null;
      }
      return on !== 0 ? 'signals from a perf event (FIOASYNC) are not supported' : null;
    }
    default:
      return null;
  }
}
