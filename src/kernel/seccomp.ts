// Kernel ABI: seccomp(2) operations, filter flags and actions (include/uapi/linux/seccomp.h), and the
// prctl options that touch the same state (include/uapi/linux/prctl.h).

export const SECCOMP_SET_MODE_STRICT = 0;
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;
export const SECCOMP_GET_NOTIF_SIZES = 3;

/** prctl(PR_SET_SECCOMP, mode): mode 1 is strict, 2 is filter (arg3 = the sock_fprog). */
export const SECCOMP_MODE_STRICT = 1;
export const SECCOMP_MODE_FILTER = 2;

export const SECCOMP_FILTER_FLAG_TSYNC = 1n << 0n;
export const SECCOMP_FILTER_FLAG_LOG = 1n << 1n;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1n << 2n;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1n << 3n;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1n << 4n;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1n << 5n;

/** struct seccomp_notif_sizes: three u16. */
export const SECCOMP_NOTIF_SIZES_SIZE = 6;

/** The 16 data bits of a filter's return value (SECCOMP_RET_DATA); a ptrace seccomp stop reports them as its event message. */
export const SECCOMP_RET_DATA = 0xffff;

export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;

/** The capability that lets a task install a filter without no_new_privs (include/uapi/linux/capability.h). */
export const CAP_SYS_ADMIN = 21;
