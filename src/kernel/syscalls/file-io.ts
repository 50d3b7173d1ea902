// File descriptors and data transfer: open/close, read/write families, pipes, dup, fcntl, ioctl,
// splice/sendfile and friends (read(2), pipe(2), fcntl(2), ioctl(2), splice(2)…).

import { Struct } from '../structs.js';
import { BLOCKS, emulate } from './define.js';
import { fixed, intPair, iovecResult, resultBytes, u64 } from './outputs.js';
import { fcntlOut } from './outputs-cmd.js';
import { ioctlOut } from './outputs-ioctl.js';
import type { SyscallDef } from './types.js';

const FD_NOTE = 'replay hands back the recorded fd number; no file is opened';

export const FILE_IO: readonly SyscallDef[] = [
  emulate('read', [resultBytes(1, 2)], BLOCKS), // read(2); pipes and ttys can block
  emulate('write', [], BLOCKS), // write(2); a full pipe blocks
  emulate('open', [], { blocks: true, note: FD_NOTE }),
  emulate('openat', [], { blocks: true, note: FD_NOTE }),
  emulate('openat2', [], { blocks: true, note: FD_NOTE }),
  emulate('creat', [], { blocks: true, note: FD_NOTE }),
  emulate('close'),
  emulate('close_range'),
  emulate('lseek'),
  emulate('pread64', [resultBytes(1, 2)]),
  emulate('pwrite64'),
  emulate('readv', [iovecResult(1, 2)], BLOCKS),
  emulate('writev', [], BLOCKS),
  emulate('preadv', [iovecResult(1, 2)]),
  emulate('pwritev'),
  emulate('preadv2', [iovecResult(1, 2)], BLOCKS), // offset -1 reads like readv
  emulate('pwritev2', [], BLOCKS),
  emulate('pipe', [intPair(0)]), // pipe(2): int fds[2]
  emulate('pipe2', [intPair(0)]),
  emulate('dup'),
  emulate('dup2'),
  emulate('dup3'),
  emulate('fcntl', [fcntlOut()], { blocks: true, note: 'F_SETLKW waits for a lock' }),
  emulate('flock', [], BLOCKS),
  emulate('ioctl', [ioctlOut()], { note: 'outputs decoded by request; unknown legacy requests stop recording' }),
  emulate('fsync'),
  emulate('fdatasync'),
  emulate('sync'),
  emulate('syncfs'),
  emulate('sync_file_range'),
  emulate('truncate'),
  emulate('ftruncate'),
  emulate('fallocate'),
  emulate('fadvise64'),
  emulate('readahead'),
  emulate('sendfile', [u64(2)], BLOCKS), // sendfile(2): *offset is updated
  emulate('splice', [u64(1), u64(3)], BLOCKS), // splice(2): off_in, off_out updated
  emulate('tee', [], BLOCKS),
  emulate('vmsplice', [iovecResult(1, 2)], BLOCKS), // from a pipe it fills the iovecs
  emulate('copy_file_range', [u64(1), u64(3)]),
  emulate('memfd_create', [], { note: FD_NOTE }),
  emulate('cachestat', [fixed(2, Struct.cachestat.size)]), // cachestat(2), Linux 6.5
];
