// Waiting on many descriptors and event fds (poll(2), select(2), epoll_wait(2), eventfd(2),
// inotify(7), fanotify(7)).

import { Struct } from '../structs.js';
import { BLOCKS, emulate, enosys } from './define.js';
import { fixedUnlessFailed, resultItems } from './outputs.js';
import { fdSetsOut, pollfdsOut } from './outputs-net.js';
import type { SyscallDef } from './types.js';

const EV = Struct.epoll_event.size;

export const EVENTS: readonly SyscallDef[] = [
  emulate('poll', [pollfdsOut()], BLOCKS),
  emulate('ppoll', [pollfdsOut(), fixedUnlessFailed(2, Struct.timespec.size)], BLOCKS), // timeout updated
  emulate('select', [fdSetsOut(), fixedUnlessFailed(4, Struct.timeval.size)], BLOCKS), // Linux updates the timeout
  emulate('pselect6', [fdSetsOut(), fixedUnlessFailed(4, Struct.timespec.size)], BLOCKS),
  emulate('epoll_create'),
  emulate('epoll_create1'),
  emulate('epoll_ctl'),
  emulate('epoll_wait', [resultItems(1, EV)], BLOCKS),
  emulate('epoll_pwait', [resultItems(1, EV)], BLOCKS),
  emulate('epoll_pwait2', [resultItems(1, EV)], BLOCKS),
  enosys('epoll_ctl_old', 'not implemented by the x86-64 kernel'),
  enosys('epoll_wait_old', 'not implemented by the x86-64 kernel'),
  emulate('eventfd'),
  emulate('eventfd2'),
  emulate('inotify_init'),
  emulate('inotify_init1'),
  emulate('inotify_add_watch'),
  emulate('inotify_rm_watch'),
  emulate('fanotify_init'),
  emulate('fanotify_mark'),
];
