// errno values of the Linux kernel (include/uapi/asm-generic/errno-base.h, errno.h; x86-64 uses the generic ones)
// and the kernel-internal restart codes a tracer sees in rax at a syscall-exit stop (include/linux/errno.h).

/** User-visible errno numbers. */
export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6,
  E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24,
  ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30,
  EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, EIDRM: 43,
  ECHRNG: 44, EL2NSYNC: 45, EL3HLT: 46, EL3RST: 47, ELNRNG: 48, EUNATCH: 49,
  ENOCSI: 50, EL2HLT: 51, EBADE: 52, EBADR: 53, EXFULL: 54, ENOANO: 55,
  EBADRQC: 56, EBADSLT: 57, EBFONT: 59, ENOSTR: 60, ENODATA: 61, ETIME: 62,
  ENOSR: 63, ENONET: 64, ENOPKG: 65, EREMOTE: 66, ENOLINK: 67, EADV: 68,
  ESRMNT: 69, ECOMM: 70, EPROTO: 71, EMULTIHOP: 72, EDOTDOT: 73, EBADMSG: 74,
  EOVERFLOW: 75, ENOTUNIQ: 76, EBADFD: 77, EREMCHG: 78, ELIBACC: 79, ELIBBAD: 80,
  ELIBSCN: 81, ELIBMAX: 82, ELIBEXEC: 83, EILSEQ: 84, ERESTART: 85, ESTRPIPE: 86,
  EUSERS: 87, ENOTSOCK: 88, EDESTADDRREQ: 89, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103, ECONNRESET: 104,
  ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ESHUTDOWN: 108, ETOOMANYREFS: 109, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ESTALE: 116,
  EUCLEAN: 117, ENOTNAM: 118, ENAVAIL: 119, EISNAM: 120, EREMOTEIO: 121, EDQUOT: 122,
  ENOMEDIUM: 123, EMEDIUMTYPE: 124, ECANCELED: 125, ENOKEY: 126, EKEYEXPIRED: 127, EKEYREVOKED: 128,
  EKEYREJECTED: 129, EOWNERDEAD: 130, ENOTRECOVERABLE: 131, ERFKILL: 132, EHWPOISON: 133,
} as const;

/** Aliases (same numbers as EAGAIN, EDEADLK, EOPNOTSUPP). */
export const EWOULDBLOCK = E.EAGAIN;
export const EDEADLOCK = E.EDEADLK;
export const ENOTSUP = E.EOPNOTSUPP;

/** Kernel-internal codes: never reach user space, but a tracer sees them as -N in rax at syscall exit. */
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
/** Restart only if no handler runs (select, poll, pause…). */
export const ERESTARTNOHAND = 514;
export const ENOIOCTLCMD = 515;
/** Restart through restart_syscall (nanosleep, clock_nanosleep, futex wait, poll). */
export const ERESTART_RESTARTBLOCK = 516;

export type ErrnoName = keyof typeof E;

const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(E)) NAMES.set(n, name);
NAMES.set(ERESTARTSYS, 'ERESTARTSYS');
NAMES.set(ERESTARTNOINTR, 'ERESTARTNOINTR');
NAMES.set(ERESTARTNOHAND, 'ERESTARTNOHAND');
NAMES.set(ENOIOCTLCMD, 'ENOIOCTLCMD');
NAMES.set(ERESTART_RESTARTBLOCK, 'ERESTART_RESTARTBLOCK');

/** Name of errno `n` (positive, or negative as a syscall returns it); `E<n>` when unknown. */
export function errnoName(n: number): string {
  const v = Math.abs(n);
  return NAMES.get(v) ?? `E${v}`;
}

/** Number for an errno name (aliases included), or undefined. */
export function errnoNumber(name: string): number | undefined {
  if (name === 'EWOULDBLOCK') return EWOULDBLOCK;
  if (name === 'EDEADLOCK') return EDEADLOCK;
  if (name === 'ENOTSUP') return ENOTSUP;
  for (const [n, s] of NAMES) if (s === name) return n;
  return undefined;
}

/** True for the -ERESTART* values the kernel turns into a restart or -EINTR after the exit stop. */
export function isRestartErrno(result: number | bigint): boolean {
  const v = -Number(result);
  return v === ERESTARTSYS || v === ERESTARTNOINTR || v === ERESTARTNOHAND || v === ERESTART_RESTARTBLOCK;
}

/** Largest errno the kernel returns: results in [-4095, -1] are errors (IS_ERR_VALUE). */
export const MAX_ERRNO = 4095;

/** Whether a raw syscall return value (rax, signed) is an error. */
export function isSyscallError(result: bigint): boolean {
  return result < 0n && result >= -4095n;
}
