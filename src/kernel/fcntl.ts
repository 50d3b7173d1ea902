// Kernel ABI: open flags, fcntl commands and close_range flags (include/uapi/asm-generic/fcntl.h,
// include/uapi/linux/fcntl.h, include/uapi/linux/close_range.h).

/** openat's dirfd meaning "relative to the working directory" (as a 64-bit register value, signed). */
export const AT_FDCWD = -100n;
export const O_RDONLY = 0n;
export const O_RDWR = 2n;
export const O_CLOEXEC = 0o2000000n;

/** fcntl commands that duplicate a descriptor. */
export const F_DUPFD = 0;
export const F_DUPFD_CLOEXEC = 1030;

/** close_range flag: set FD_CLOEXEC on the range instead of closing it. */
export const CLOSE_RANGE_CLOEXEC = 4;

/** fcntl commands and the flag that make a descriptor signal its owner (fcntl(2): F_SETFL with O_ASYNC). */
export const F_SETFL = 4;
export const F_SETSIG = 10;
export const O_ASYNC = 0o20000n;
/** ioctl that sets or clears O_ASYNC (include/uapi/asm-generic/ioctls.h). */
export const FIOASYNC = 0x5452;
