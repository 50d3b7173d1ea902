// Kernel ABI: perf_event_open(2) (include/uapi/linux/perf_event.h).

/** What readlink of /proc/PID/fd/N shows for a perf event descriptor. */
export const PERF_EVENT_FD_LINK = 'anon_inode:[perf_event]';

/** struct perf_event_attr: offset of `size` (u32) and of the u64 of bit flags (disabled, inherit… sigtrap). */
export const PERF_ATTR_SIZE = 4;
export const PERF_ATTR_FLAGS = 40;
/** The flag bit asking for a synchronous SIGTRAP at each overflow (Linux 5.13). */
export const PERF_ATTR_SIGTRAP_BIT = 37n;
/** A cgroup descriptor in place of the pid (perf_event_open flags). */
export const PERF_FLAG_PID_CGROUP = 4n;

/** The ioctls of a perf event that take no memory (_IO('$', n)): ENABLE, DISABLE, REFRESH, RESET, SET_OUTPUT. */
export const PERF_EVENT_IOC_NO_MEMORY = [0x2400, 0x2401, 0x2402, 0x2403, 0x2405] as const;
