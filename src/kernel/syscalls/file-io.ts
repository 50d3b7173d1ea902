// File descriptors and data transfer: open/close, read/write families, pipes, dup, fcntl, ioctl,
// splice/sendfile and friends (read(2), pipe(2), fcntl(2), ioctl(2), splice(2)…).

import { CLOSE_RANGE_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC } from '../fcntl.js';
import { Struct } from '../structs.js';
import { BLOCKS, emulate } from './define.js';
import { fixed, intPair, iovecResult, resultBytes, u64 } from './outputs.js';
import { fcntlOut } from './outputs-cmd.js';
import { ioctlOut } from './outputs-ioctl.js';
import type { FdChange, SyscallDef } from './types.js';

/** An fd argument as the kernel reads it (an int). */
const fdArg = (v: bigint): number => Number(BigInt.asIntN(32, v));
/** dup(2): the first argument copied as the result. */
const dupAsResult = (a: readonly bigint[], r: bigint): FdChange => ({ copy: fdArg(a[0]!), to: Number(r) });

const FD_NOTE = 'replay hands back the recorded fd number; no file is opened';

export const FILE_IO: readonly SyscallDef[] = [
  emulate('read', [resultBytes(1, 2)], BLOCKS), // read(2); pipes and ttys can block
  emulate('write', [], { blocks: true, writes: { fd: 0, from: { buf: 1 }, echo: true } }), // write(2); a full pipe blocks
  emulate('open', [], { blocks: true, note: FD_NOTE }),
  emulate('openat', [], { blocks: true, note: FD_NOTE }),
  emulate('openat2', [], { blocks: true, note: FD_NOTE }),
  emulate('creat', [], { blocks: true, note: FD_NOTE }),
  emulate('close', [], { fds: (a) => ({ close: fdArg(a[0]!) }) }),
  // close_range(2): CLOSE_RANGE_CLOEXEC only marks the fds close-on-exec
  emulate('close_range', [], {
    fds: (a) => ((Number(a[2]) & CLOSE_RANGE_CLOEXEC) !== 0 ? null : { closeFrom: Number(a[0]), closeTo: Number(BigInt.asUintN(32, a[1]!)) }),
  }),
  emulate('lseek'),
  emulate('pread64', [resultBytes(1, 2)]),
  emulate('pwrite64', [], { writes: { fd: 0, from: { buf: 1 }, offset: 3 } }),
  emulate('readv', [iovecResult(1, 2)], BLOCKS),
  emulate('writev', [], { blocks: true, writes: { fd: 0, from: { iov: 1 }, echo: true } }),
  emulate('preadv', [iovecResult(1, 2)]),
  emulate('pwritev', [], { writes: { fd: 0, from: { iov: 1 }, offset: 3 } }),
  emulate('preadv2', [iovecResult(1, 2)], BLOCKS), // offset -1 reads like readv
  emulate('pwritev2', [], { blocks: true, writes: { fd: 0, from: { iov: 1 }, offset: 3 } }), // offset -1 writes like writev
  emulate('pipe', [intPair(0)]), // pipe(2): int fds[2]
  emulate('pipe2', [intPair(0)]),
  emulate('dup', [], { fds: dupAsResult }),
  emulate('dup2', [], { fds: (a, r) => (fdArg(a[0]!) === Number(r) ? null : dupAsResult(a, r)) }),
  emulate('dup3', [], { fds: (a, r) => (fdArg(a[0]!) === Number(r) ? null : dupAsResult(a, r)) }),
  emulate('fcntl', [fcntlOut()], {
    blocks: true, note: 'F_SETLKW waits for a lock',
    fds: (a, r) => (Number(a[1]) === F_DUPFD || Number(a[1]) === F_DUPFD_CLOEXEC ? dupAsResult(a, r) : null),
  }),
  emulate('flock', [], BLOCKS),
  emulate('ioctl', [ioctlOut()], { note: 'outputs decoded by request; unknown legacy requests stop recording' }),
  emulate('fsync'),
  emulate('fdatasync'),
  emulate('sync'),
  emulate('syncfs'),
  emulate('sync_file_range'),
  emulate('truncate', [], { sizes: { path: 0 } }),
  emulate('ftruncate', [], { sizes: { fd: 0 } }),
  emulate('fallocate', [], { sizes: { fd: 0 } }),
  emulate('fadvise64'),
  emulate('readahead'),
  emulate('sendfile', [u64(2)], { blocks: true, copies: { out: 0, in: 1, inOffset: 2 } }), // sendfile(2): *offset is updated
  emulate('splice', [u64(1), u64(3)], { blocks: true, copies: { out: 2, in: 0, inOffset: 1 } }), // splice(2): off_in, off_out updated
  emulate('tee', [], { blocks: true, copies: { out: 1, in: 0 } }), // tee(2): pipe to pipe
  emulate('vmsplice', [iovecResult(1, 2)], BLOCKS), // from a pipe it fills the iovecs
  emulate('copy_file_range', [u64(1), u64(3)], { copies: { out: 2, in: 0, inOffset: 1 } }),
  emulate('memfd_create', [], { note: FD_NOTE }),
  emulate('cachestat', [fixed(2, Struct.cachestat.size)]), // cachestat(2), Linux 6.5
];
