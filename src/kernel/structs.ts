// Sizes and the few field offsets rewind needs of kernel structs, as the x86-64 kernel ABI lays them out.
// Field names keep their kernel/uapi spelling. Checked against the C headers by structs.test.ts (gcc probe).
// Where the kernel's struct differs from glibc's (termios, sigaction, sigset), the kernel one is meant.

export const Struct = {
  /** struct stat (arch/x86/include/uapi/asm/stat.h): stat, fstat, lstat, newfstatat. */
  stat: { size: 144, st_dev: 0, st_ino: 8, st_nlink: 16, st_mode: 24, st_uid: 28, st_gid: 32, st_rdev: 40, st_size: 48, st_blksize: 56, st_blocks: 64, st_atim: 72, st_mtim: 88, st_ctim: 104 },
  /** struct statx (include/uapi/linux/stat.h). */
  statx: { size: 256, stx_mask: 0, stx_size: 40 },
  /** struct statfs (asm-generic/statfs.h with 64-bit words): statfs, fstatfs. */
  statfs: { size: 120 },
  /** struct __kernel_timespec. */
  timespec: { size: 16, tv_sec: 0, tv_nsec: 8 },
  /** struct timeval. */
  timeval: { size: 16, tv_sec: 0, tv_usec: 8 },
  timezone: { size: 8 },
  itimerval: { size: 32 },
  itimerspec: { size: 32 },
  /** struct timex (adjtimex, clock_adjtime). */
  timex: { size: 208 },
  rusage: { size: 144 },
  tms: { size: 32 },
  /** struct new_utsname: 6 fields of 65 bytes. */
  utsname: { size: 390 },
  sysinfo: { size: 112 },
  rlimit: { size: 16 },
  /** Kernel struct sigaction as rt_sigaction reads and writes it: handler, flags, restorer, mask (8-byte sigset). */
  sigaction: { size: 32, sa_handler: 0, sa_flags: 8, sa_restorer: 16, sa_mask: 24 },
  /** The kernel's struct sigcontext (asm/sigcontext.h): the registers a signal frame saves, and the
   *  fields the kernel fills from the thread's last fault (err, trapno, cr2). */
  sigcontext: { size: 256, eflags: 136, err: 152, trapno: 160, cr2: 176 },
  /** The kernel's struct ucontext (asm/ucontext.h); an rt_sigframe is the return address (pretcode), then this. */
  ucontext: { uc_mcontext: 40 },
  /** stack_t (sigaltstack). */
  stack_t: { size: 24, ss_sp: 0, ss_flags: 8, ss_size: 16 },
  /** siginfo_t; field offsets are in signals.ts (SIGINFO). */
  siginfo: { size: 128 },
  pollfd: { size: 8, fd: 0, events: 4, revents: 6 },
  /** struct epoll_event is packed on x86-64. */
  epoll_event: { size: 12, events: 0, data: 4 },
  /** fd_set as glibc defines it (1024 bits); select writes only ceil(nfds/64) longs. */
  fd_set: { size: 128 },
  sockaddr_storage: { size: 128 },
  sockaddr_un: { size: 110 },
  iovec: { size: 16, iov_base: 0, iov_len: 8 },
  msghdr: { size: 56, msg_name: 0, msg_namelen: 8, msg_iov: 16, msg_iovlen: 24, msg_control: 32, msg_controllen: 40, msg_flags: 48 },
  mmsghdr: { size: 64, msg_hdr: 0, msg_len: 56 },
  cmsghdr: { size: 16, cmsg_len: 0, cmsg_level: 8, cmsg_type: 12 },
  /** struct linux_dirent64: a header, then the NUL-terminated d_name at 19; records are d_reclen long. */
  linux_dirent64: { d_ino: 0, d_off: 8, d_reclen: 16, d_type: 18, d_name: 19 },
  /** Kernel struct termios (TCGETS): 4 flags, c_line, c_cc[19]. glibc's is bigger (60). */
  termios: { size: 36, c_iflag: 0, c_oflag: 4, c_cflag: 8, c_lflag: 12, c_line: 16, c_cc: 17 },
  /** struct termios2 (TCGETS2): termios plus c_ispeed, c_ospeed. */
  termios2: { size: 44 },
  /** struct termio (TCGETA). */
  termio: { size: 18 },
  winsize: { size: 8 },
  /** struct serial_struct (TIOCGSERIAL). */
  serial_struct: { size: 72 },
  sched_param: { size: 4 },
  /** struct flock (F_GETLK, F_OFD_GETLK). */
  flock: { size: 32, l_type: 0, l_whence: 2, l_start: 8, l_len: 16, l_pid: 24 },
  f_owner_ex: { size: 8 },
  __user_cap_header_struct: { size: 8, version: 0, pid: 4 },
  /** One struct __user_cap_data_struct; version 2 and 3 use two. */
  __user_cap_data_struct: { size: 12 },
  robust_list_head: { size: 24 },
  /** struct ifreq (socket ioctls SIOCGIF*). */
  ifreq: { size: 40 },
  /** struct ifconf: ifc_len then a pointer. */
  ifconf: { size: 16, ifc_len: 0, ifc_buf: 8 },
  /** struct file_handle header (name_to_handle_at); f_handle follows. */
  file_handle: { size: 8, handle_bytes: 0, handle_type: 4 },
  mq_attr: { size: 64 },
  msqid_ds: { size: 120 },
  semid_ds: { size: 104 },
  msginfo: { size: 32 },
  seminfo: { size: 40 },
  /** struct shmid_ds (shmid64_ds), struct shminfo (shminfo64), struct shm_info. */
  shmid_ds: { size: 112 },
  shminfo: { size: 72 },
  shm_info: { size: 48 },
  /** struct sched_attr, SCHED_ATTR_SIZE_VER1. */
  sched_attr: { size: 56 },
  /** struct ustat (kernel, 64-bit f_tinode). */
  ustat: { size: 32 },
  /** struct cachestat (Linux 6.5): five u64. */
  cachestat: { size: 40 },
  /** struct xattr_args (Linux 6.13; getxattrat/setxattrat): value pointer, size (`size_` here), flags. */
  xattr_args: { size: 16, value: 0, size_: 8, flags: 12 },
  /** struct open_how (openat2). */
  open_how: { size: 24 },
  /** struct user_regs_struct; see regs.ts. */
  user_regs_struct: { size: 216 },
} as const;

export type StructName = keyof typeof Struct;

/** Bytes of a socklen_t / int / long / pointer. */
export const SIZEOF_INT = 4;
export const SIZEOF_LONG = 8;
export const SIZEOF_PTR = 8;
export const PAGE_SIZE = 4096;
