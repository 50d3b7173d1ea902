// Kernel-driven mechanisms rewind refuses or cannot replay: rseq, asynchronous I/O, io_uring,
// uprobe trampolines, and restart_syscall.

import { emulate, enosys, unsupported } from './define.js';
import type { SyscallDef } from './types.js';

const AIO = 'asynchronous I/O completes behind the tracer\'s back; programs fall back to plain I/O';

export const MISC: readonly SyscallDef[] = [
  enosys('rseq', 'glibc falls back; kernel-driven rseq restarts would be nondeterministic'),
  enosys('io_setup', AIO),
  enosys('io_destroy', AIO),
  enosys('io_submit', AIO),
  enosys('io_cancel', AIO),
  enosys('io_getevents', AIO),
  enosys('io_pgetevents', AIO),
  enosys('io_uring_setup', 'io_uring completes I/O behind the tracer\'s back; programs fall back'),
  enosys('io_uring_enter', 'io_uring_setup is refused'),
  enosys('io_uring_register', 'io_uring_setup is refused'),
  unsupported('uretprobe', 'called only from kernel uprobe trampolines'),
  unsupported('uprobe', 'called only from kernel uprobe trampolines'),
  emulate('restart_syscall', [], {
    blocks: true,
    note: 'continues an interrupted nanosleep, clock_nanosleep, poll or futex wait; the engine applies that call\'s outputs',
  }),
];
