// Kernel ABI layer: scheduling policies and priorities (include/uapi/linux/sched.h,
// include/uapi/linux/resource.h, sched_setscheduler(2), setpriority(2)).

export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const SCHED_BATCH = 3;
export const SCHED_IDLE = 5;
export const SCHED_DEADLINE = 6;
/** Or'ed into a policy: children start with SCHED_OTHER and a nice value of at least 0. */
export const SCHED_RESET_ON_FORK = 0x40000000;

/** setpriority/getpriority `which`. */
export const PRIO_PROCESS = 0;
/** Nice values run from -20 to 19; the getpriority syscall returns 20 - nice (1..40). */
export const NICE_MIN = -20;
export const NICE_MAX = 19;
/** Real-time priorities (SCHED_FIFO, SCHED_RR) run from 1 to 99. */
export const RT_PRIO_MAX = 99;
