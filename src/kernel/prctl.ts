// prctl options rewind itself uses (include/uapi/linux/prctl.h) and the size of a task's comm.

/** Sets the calling thread's name (its comm), at most TASK_COMM_LEN - 1 bytes. */
export const PR_SET_NAME = 15;
/** The kernel's comm buffer, NUL included (include/linux/sched.h). */
export const TASK_COMM_LEN = 16;

/** Reads the calling thread's time-stamp-counter mode into the int at arg2. */
export const PR_GET_TSC = 25;
/** TSC mode: rdtsc runs (the default). */
export const PR_TSC_ENABLE = 1;

/** prctl(PR_SET_MM, PR_SET_MM_MAP, &struct prctl_mm_map, sizeof): sets an mm's layout, auxv and exe at once. */
export const PR_SET_MM = 35;
export const PR_SET_MM_MAP = 14;
/** sizeof(struct prctl_mm_map): 11 addresses, the auxv pointer, u32 auxv_size, u32 exe_fd. */
export const PRCTL_MM_MAP_SIZE = 104;
