// Sockets (socket(2), accept(2), recvmsg(2), getsockopt(2)…). Replay has no sockets: all emulated.

import { Struct } from '../structs.js';
import { BLOCKS, emulate } from './define.js';
import { fixed, inOutLen, intPair, resultBytes, sockaddrOut } from './outputs.js';
import { recvmmsgOut, recvmsgOut, sendmmsgOut } from './outputs-net.js';
import type { SyscallDef } from './types.js';

export const NET: readonly SyscallDef[] = [
  emulate('socket'),
  emulate('socketpair', [intPair(3)]),
  emulate('bind'),
  emulate('listen'),
  emulate('connect', [], BLOCKS),
  emulate('accept', [sockaddrOut(1, 2)], BLOCKS),
  emulate('accept4', [sockaddrOut(1, 2)], BLOCKS),
  emulate('getsockname', [sockaddrOut(1, 2)]),
  emulate('getpeername', [sockaddrOut(1, 2)]),
  emulate('sendto', [], { blocks: true, writes: { fd: 0, from: { buf: 1 } } }),
  emulate('sendmsg', [], { blocks: true, writes: { fd: 0, from: { msghdr: 1 } } }),
  emulate('sendmmsg', [sendmmsgOut()], BLOCKS),
  // recvfrom(fd, buf, len, flags, src, addrlen): with MSG_TRUNC the result may exceed len
  emulate('recvfrom', [resultBytes(1, 2), sockaddrOut(4, 5)], BLOCKS),
  // fds that come with SCM_RIGHTS may be rewind's stdout/stderr (their writes are re-emitted at replay)
  emulate('recvmsg', [recvmsgOut()], { blocks: true, fds: (a) => ({ rightsIn: a[1]!, count: 1 }) }),
  emulate('recvmmsg', [recvmmsgOut(), fixed(4, Struct.timespec.size)], { // timeout updated
    blocks: true, fds: (a, r) => ({ rightsIn: a[1]!, count: Number(r) }),
  }),
  emulate('shutdown'),
  emulate('setsockopt'),
  emulate('getsockopt', [inOutLen(3, 4)]), // *optlen after the call = bytes written
];
