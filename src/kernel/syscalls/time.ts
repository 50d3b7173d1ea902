// Clocks, sleeps and timers (clock_gettime(2), nanosleep(2), setitimer(2), timer_create(2),
// timerfd_create(2)…). Timers are not armed at replay: their signals and reads come from the trace.

import { Struct } from '../structs.js';
import { BLOCKS, emulate } from './define.js';
import { argInt, fixed, fixedOnInterrupt, u32, u64, when } from './outputs.js';
import type { SyscallDef } from './types.js';

const TS = Struct.timespec.size;
const ITS = Struct.itimerspec.size;
const TIMER_ABSTIME = 1;

export const TIME: readonly SyscallDef[] = [
  emulate('clock_gettime', [fixed(1, TS)]),
  emulate('clock_getres', [fixed(1, TS)]),
  emulate('clock_settime'),
  emulate('clock_adjtime', [fixed(1, Struct.timex.size)]),
  emulate('gettimeofday', [fixed(0, Struct.timeval.size), fixed(1, Struct.timezone.size)]),
  emulate('settimeofday'),
  emulate('time', [u64(0)]), // time(2): also stored at tloc when it is not NULL
  emulate('adjtimex', [fixed(0, Struct.timex.size)]),
  emulate('nanosleep', [fixedOnInterrupt(1, TS)], BLOCKS), // remaining time written on -EINTR
  emulate(
    'clock_nanosleep',
    [when((c) => (argInt(c, 1) & TIMER_ABSTIME) === 0, fixedOnInterrupt(3, TS), 'not TIMER_ABSTIME')],
    BLOCKS,
  ),
  emulate('alarm'),
  emulate('getitimer', [fixed(1, Struct.itimerval.size)]),
  emulate('setitimer', [fixed(2, Struct.itimerval.size)]),
  emulate('timer_create', [u32(2)]), // timer_create(2): the timer id
  emulate('timer_settime', [fixed(3, ITS)]),
  emulate('timer_gettime', [fixed(1, ITS)]),
  emulate('timer_getoverrun'),
  emulate('timer_delete'),
  emulate('timerfd_create'),
  emulate('timerfd_settime', [fixed(3, ITS)]),
  emulate('timerfd_gettime', [fixed(1, ITS)]),
  emulate('times', [fixed(0, Struct.tms.size)]),
];
