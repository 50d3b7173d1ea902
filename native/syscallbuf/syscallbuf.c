/*
 * rewind's syscall buffer: runs the common system calls that cannot block inside the program, without
 * a ptrace stop, and keeps each call's result and output bytes in a per-thread buffer the tracer reads
 * (record), or takes them from the records the tracer wrote there (replay). Freestanding: no libc, no
 * TLS, no relocations; linked at a fixed address (syscallbuf.ld) and mapped there by rewind after
 * every exec (src/syscallbuf/). A thread finds its buffer's header through %gs (its gs_base, which the
 * tracer sets; x86-64 Linux programs do not use GS).
 *
 * The layout of the header and of a record is shared with src/syscallbuf/layout.ts and described in
 * docs/TRACE_FORMAT.md (`buffered` frames hold the records as written here).
 */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;

struct sb_header {
  u64 self;          /* 0: this header's address */
  u32 magic;         /* 8 */
  u32 mode;          /* 12: 0 off (every call traced), 1 record, 2 replay */
  u64 stack_top;     /* 16: the buffer's own stack */
  u64 records;       /* 24: address of the record area */
  u32 capacity;      /* 32: its size in bytes */
  u32 used;          /* 36: bytes of records (written at record, loaded at replay) */
  u32 count;         /* 40: records */
  u32 consumed;      /* 44: replay: records used so far */
  u32 consumed_bytes;/* 48 */
  i32 mismatch_nr;   /* 52: replay: a call that did not match the next record (-1: none) */
  u32 mismatch_at;   /* 56: replay: the index of that record */
  u32 reserved;      /* 60: record: room kept for the bytes of echoed writes, which replay adds */
  u32 held;          /* 64: record: the tracer holds a signal that arrived while this thread ran; it
                        delivers it at the thread's next traced call, so a call that changes the mask
                        or a handler goes to the tracer (which delivers it first), as when traced */
  u32 mismatch_ran;  /* 68: replay: the call at mismatch_at ran here (one replay runs: executed()) and
                        returned another result (1) or wrote other bytes (2) than recorded */
  i64 mismatch_result; /* 72: replay: what that call returned here */
  u32 flags;         /* 80: HF_SHARED_PROC: the buffer of a CLONE_VM child that is not a thread (a
                        vfork child): it has descriptors, a cwd and handlers of its own, and the
                        process settings (PROC) in the memory it shares are its creator's */
  u32 delegated;     /* 84: replay: the memory call of the record at consumed goes to the tracer (PROC_DELEGATE_MEMORY):
                        it runs it, with a debugger's page protections lifted, and uses the record */
  u32 yield;         /* 88: record: the thread's time slice is used up; its next call goes to the tracer,
                        which switches threads there (a syscall is an event replay reaches directly; an
                        interrupt is a point it must search for) */
  u32 pad;           /* 92 */
};
#define HF_SHARED_PROC 1

/* A record: this, then nout outputs, each { u64 addr; u64 len; len bytes padded to 8 }. */
struct sb_record {
  u32 size;          /* the whole record, a multiple of 8 */
  i32 nr;
  i64 args[6];
  i64 result;
  u32 nout;
  u32 echo;          /* 0, or 1 / 2: a write to rewind's stdout / stderr (format 7 on). Recorded with
                        no output; replay gives it one (addr 0, len = result) for the bytes the
                        program writes there, which the tracer re-emits */
};

/*
 * The process's settings, in the off header's page (src/syscallbuf/layout.ts PROC), written by the
 * tracer: the mode of its buffers, flags, the files whose writes go to the tracer (files mapped
 * shared or privately, whose changes the tracer follows), and which fds are rewind's stdout (1) or
 * stderr (2), two bits per fd below MAX_ECHO_FD (the tracer's model, fd-echo.ts).
 */
#define MAX_WATCHED 64
#define MAX_ECHO_FD 1024
#define PROC_NO_WRITES 2
struct sb_proc {
  u32 mode;
  u32 flags;
  u32 nwatch;
  u32 pad;
  struct { u64 dev, ino; } watch[MAX_WATCHED];
  u8 echo[MAX_ECHO_FD / 4];
};
#define PROC ((struct sb_proc *)0x7fffc0030900ul)
#define PROC_DELEGATE_MEMORY 8 /* replay: buffered mmap, munmap and mprotect go to the tracer (page-watch.ts) */

/*
 * Record: the ranges of the address space where a buffered munmap or mprotect may not act, written by
 * the tracer (src/record/guarded-memory.ts) before the process runs after any change: every mapping but
 * anonymous private memory that is not executable (code, whose patch table the tracer keeps; files and
 * shared memory, whose mappings it follows), sorted. `all`: every range is guarded (the table is full,
 * or not written yet). rewind's own region is guarded here, whatever the table says.
 */
#define MAX_GUARDED 255
struct sb_guarded {
  u32 count;
  u32 all;
  u64 pad;
  struct { u64 start, end; } range[MAX_GUARDED];
};
#define GUARDED ((const struct sb_guarded *)0x7fffc0033000ul)
#define REWIND_START 0x7fffc0000000ul
#define REWIND_END (0x7fffc0100000ul + 128ul * 0x100000ul) /* the buffer slots' end (MAX_SLOTS) */

struct sb_frame { i64 nr, a[6]; };
struct sb_ret { i64 result; i64 traced; };

/* The table at the blob's start: offsets rewind reads (src/syscallbuf/blob.ts). */
extern char sb_entry[], sb_untraced_ip[], sb_traced_ip[], sb_cpuid[], sb_cpuid_trap[], sb_cpuid_table[];
__attribute__((section(".sb_table"), used)) static const u64 sb_table[] = {
  0x3162737764776572ul, /* "rewdwsb1" */
  (u64)sb_entry, (u64)sb_untraced_ip, (u64)sb_traced_ip,
  (u64)sb_cpuid, (u64)sb_cpuid_trap, (u64)sb_cpuid_table,
};

i64 sb_untraced(i64 nr, i64 a1, i64 a2, i64 a3, i64 a4, i64 a5, i64 a6);
struct sb_ret sb_hook(struct sb_frame *f);

static struct sb_header *header(void) {
  struct sb_header *h;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(h));
  return h;
}

/* rep movsb: a byte loop cost ls -lR's recording more than all the rest of this code (its statx and
 * getdents64 outputs). The direction flag is clear, as at every call (the ABI's rule). */
static void copy(u8 *to, const u8 *from, u64 n) {
  __asm__ volatile("rep movsb" : "+D"(to), "+S"(from), "+c"(n) : : "memory");
}

#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define ST_DEV_OFFSET 0     /* x86-64's struct stat */
#define ST_INO_OFFSET 8
#define ST_MODE_OFFSET 24
#define ST_RDEV_OFFSET 40
#define DEV_NULL 0x103      /* makedev(1, 3) as stat encodes it */
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_NOFOLLOW 0400000
#define O_TMPFILE 020000000
#define AT_SYMLINK_NOFOLLOW 0x100
#define TCGETS 0x5401
#define FICLONE 0x40049409
#define ENOENT 2
#define TIOCGWINSZ 0x5413
#define TIOCGPGRP 0x540f
#define FIONREAD 0x541b
#define TERMIOS_SIZE 36     /* the kernel's struct termios */
#define WINSIZE_SIZE 8
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETLK 6           /* a lock taken or refused at once (F_SETLKW, which waits, is traced) */
#define F_OFD_SETLK 37
#define GRND_RANDOM 2
#define EFAULT 14
#define STAT_SIZE 144
#define STATX_SIZE 256
#define IOV_BUF_MAX 16      /* readv, preadv, recvmsg: at most this many iovecs (more: traced) */
#define MAX_OUT (2 + IOV_BUF_MAX) /* recvmsg: the msghdr, the source address, then the iovecs' data */
#define MSGHDR_SIZE 56      /* x86-64's struct msghdr, by u64: name, namelen, iov, iovlen, control, controllen, flags */
#define MH_NAME 0
#define MH_NAMELEN 1
#define MH_IOV 2
#define MH_IOVLEN 3
#define MH_CONTROLLEN 5
#define SOCKADDR_MAX 128    /* struct sockaddr_storage */
#define SIGSET_SIZE 8       /* the kernel's sigset_t: any other size is EINVAL */
#define SIG_BLOCK 0
#define SIGACTION_SIZE 32   /* the kernel's struct sigaction with that sigset */
#define SYSINFO_SIZE 112
#define RUSAGE_SIZE 144
#define STATFS_SIZE 120
#define RLIMIT_SIZE 16
#define IOV_ECHO_MAX 64          /* a writev to rewind's stdout or stderr: at most this many iovecs */
#define WRITEV_ECHO_MAX 0x10000  /* and bytes */

struct out { u64 addr, len; };

static u32 echo_of(i64 fd) {
  if (fd < 0 || fd >= MAX_ECHO_FD) return 3; /* not known: such a write goes to the tracer */
  return (PROC->echo[fd >> 2] >> ((fd & 3) * 2)) & 3;
}

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_FLAGS 384     /* FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME */
#define POLLFD_SIZE 8
#define EPOLL_EVENT_SIZE 12 /* packed on x86-64 */
#define MAX_POLLFDS 1024
#define MAX_EPOLL_EVENTS 1024

/* futex operations the buffer may take: the wakes (never block), the plain waits (run_here). */
static int futex_here(i64 op) {
  i64 cmd = op & ~(i64)FUTEX_FLAGS;
  return cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET || cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
}
/* Defined near the end: the calls replay runs (executed) and echoed writevs. */
static int executed(i64 nr);
static int blocked_pending(void);
static struct sb_ret replay_executed(struct sb_header *h, struct sb_frame *f, struct sb_record *rec);
static struct sb_ret consume(struct sb_header *h, struct sb_record *rec, i64 r);
static i64 iovecs_total(const i64 *a, u64 *iov);
static i64 writev_echo(const i64 *a);
static void gather(u8 *to, const u64 *iov, i64 n, u64 len);

/*
 * Record: what a call's arguments point at, read before it runs with untraced process_vm_readv (a bad
 * pointer fails there, never in the buffer's code): a readv's or preadv's iovec array, a recvmsg's
 * msghdr and its iovec array; `total` the sum of the iovecs' lengths. The outputs come from this copy.
 */
struct pre {
  u64 hdr[MSGHDR_SIZE / 8];
  u64 iov[2 * IOV_BUF_MAX];
  i64 niov;
  u64 total;
};
static int read_own(u64 addr, u64 len, void *to);
static i64 pre_read(i64 nr, const i64 *a, struct pre *pre);

/*
 * The calls buffered, and for each the most its outputs can be before the call (0: none) — or -1
 * when it is not buffered. Only calls that cannot block, whose every effect at replay is their result
 * and these bytes (the syscall table emulates them all). Each row has its twin in
 * src/syscallbuf/calls.ts; the conditions on the fd or path are checked by the caller (allowed()).
 */
static i64 max_output(i64 nr, const i64 *a) {
  switch (nr) {
  case 0: case 17:            /* read, pread64: regular files only */
  case 217:                   /* getdents64 */
  case 89:                    /* readlink */
    return a[2];
  case 267: return a[3];      /* readlinkat */
  case 191: case 192: case 193: return a[2] && a[3] ? a[3] : 0; /* getxattr, lgetxattr, fgetxattr */
  case 194: case 195: case 196: return a[1] && a[2] ? a[2] : 0; /* listxattr, llistxattr, flistxattr */
  case 1:                     /* write: regular files and /dev/null; the bytes when echoed */
    return echo_of(a[0]) ? a[2] : 0;
  case 18: return 0;          /* pwrite64: the same files (the table echoes no pwrite64) */
  case 20:                    /* writev: the same files; echoed when at most IOV_ECHO_MAX iovecs (writev_echo) */
    return echo_of(a[0]) ? (a[2] >= 0 && a[2] <= IOV_ECHO_MAX ? WRITEV_ECHO_MAX : -1) : 0;
  case 257: case 3: return 0; /* openat (of a file or directory, or creating one), close (of one) */
  case 326: return 16;        /* copy_file_range between regular files: the two offsets it may move */
  case 280: case 190: case 91: case 93: case 260: case 268: case 258: case 263: case 266:
    return 0;                 /* utimensat, fsetxattr, fchmod, fchown, fchownat, fchmodat, mkdirat, unlinkat, symlinkat */
  case 72: return a[1] == F_GETFD || a[1] == F_SETFD || a[1] == F_GETFL || a[1] == F_SETLK || a[1] == F_OFD_SETLK ? 0 : -1; /* fcntl */
  case 16:                    /* ioctl: a tty's settings, size, process group, bytes to read; FICLONE of a regular file into another */
    return a[1] == TCGETS ? TERMIOS_SIZE : a[1] == TIOCGWINSZ ? WINSIZE_SIZE : a[1] == TIOCGPGRP || a[1] == FIONREAD ? 4
         : a[1] == FICLONE ? 0 : -1;
  case 318: return a[2] & GRND_RANDOM ? -1 : a[1]; /* getrandom (the urandom pool: never blocks once booted) */
  case 221: return 0;         /* fadvise64 */
  case 4: case 5: case 6: case 262: return STAT_SIZE; /* stat, fstat, lstat, newfstatat */
  case 332: return STATX_SIZE;
  case 228: return 16;        /* clock_gettime */
  case 96: return 24;         /* gettimeofday */
  case 201: return 8;         /* time */
  case 8: case 21: case 269: case 439:  /* lseek, access, faccessat, faccessat2 */
  case 39: case 186: case 110: case 102: case 107: case 104: case 108: /* getpid, gettid, getppid, get[e]uid, get[e]gid */
    return 0;
  /* Calls that may block, run here only when an untraced check says they will not (may_read_now,
     may_write_now, run_here): */
  case 19: case 295:          /* readv (files, and as read), preadv (files): the iovecs' lengths (pre_read) */
    return a[2] >= 0 && a[2] <= IOV_BUF_MAX ? 0 : -1;
  case 45: return a[4] || a[5] ? -1 : a[2]; /* recvfrom (recv: no source address asked for) of a socket */
  case 47: return 0;          /* recvmsg of a socket, no control data: its msghdr, name, iovecs (pre_read) */
  case 46: return 0;          /* sendmsg as sendto, no control data */
  case 44: return 0;          /* sendto on a nonblocking socket, or with MSG_DONTWAIT */
  case 202: return futex_here(a[1]) ? 0 : -1; /* futex: the wakes, and the waits that do not wait */
  case 7: case 271: return a[1] >= 0 && a[1] <= MAX_POLLFDS ? a[1] * POLLFD_SIZE : -1; /* poll, ppoll */
  case 232: case 281: return a[2] > 0 && a[2] <= MAX_EPOLL_EVENTS ? a[2] * EPOLL_EVENT_SIZE : -1; /* epoll_wait, epoll_pwait */
  /* Run again at replay (executed(): the syscall table executes them), the result and old set compared. */
  case 14: return a[2] && a[3] == SIGSET_SIZE ? SIGSET_SIZE : 0;          /* rt_sigprocmask: the old mask */
  case 13: return a[2] && a[3] == SIGSET_SIZE ? SIGACTION_SIZE : 0;       /* rt_sigaction: the old action */
  case 28: return 0;                                                      /* madvise */
  case 12: return 0;                                                      /* brk (executed at replay too) */
  case 9: case 10: case 11: return 0;                                     /* mmap (anonymous, private), mprotect, munmap (outside GUARDED) */
  case 79: return a[1];                                                   /* getcwd */
  case 99: return SYSINFO_SIZE;                                           /* sysinfo */
  case 98: return RUSAGE_SIZE;                                            /* getrusage */
  case 137: case 138: return STATFS_SIZE;                                 /* statfs, fstatfs */
  case 302: return a[0] == 0 && a[2] == 0 ? RLIMIT_SIZE : -1;             /* prlimit64 of this process, reading only */
  case 87: case 74: case 75:                                              /* unlink, fsync, fdatasync */
  case 188: case 189: case 197: case 198: case 199:                       /* setxattr, lsetxattr, (l|f)removexattr */
    return 0;
  default: return -1;
  }
}

/* The first len bytes over the n iovecs at iov, one output each (empty ones left out). */
static u32 spread(const u64 *iov, i64 n, u64 len, struct out *o) {
  u32 k = 0;
  for (i64 i = 0; i < n && len > 0; i++) {
    u64 l = iov[2 * i + 1] < len ? iov[2 * i + 1] : len;
    if (l == 0) continue;
    o[k].addr = iov[2 * i];
    o[k].len = l;
    k++;
    len -= l;
  }
  return k;
}

/*
 * The bytes the call wrote, from its arguments and result (the same rules as the syscall table's);
 * for readv, preadv and recvmsg from what pre_read read before the call.
 */
static u32 outputs(i64 nr, const i64 *a, i64 r, const struct pre *pre, struct out *o) {
  if (r < 0 && r > -4096) return 0;
  switch (nr) {
  case 19: case 295: return spread(pre->iov, pre->niov, (u64)r, o);
  case 47: {
    /* The msghdr (the kernel sets msg_namelen, msg_controllen, msg_flags), the source address (as
       much of it as fitted: the smaller of msg_namelen before and after), the data (MSG_TRUNC: the
       result may be the datagram's whole length, more than the iovecs took). */
    u32 n = 0;
    o[n].addr = a[1]; o[n].len = MSGHDR_SIZE; n++;
    u64 before = (u32)pre->hdr[MH_NAMELEN], after = *(const u32 *)(a[1] + 8 * MH_NAMELEN);
    u64 name = before < after ? before : after;
    if (name > SOCKADDR_MAX) name = SOCKADDR_MAX;
    if (pre->hdr[MH_NAME] && name) { o[n].addr = pre->hdr[MH_NAME]; o[n].len = name; n++; }
    return n + spread(pre->iov, pre->niov, (u64)r < pre->total ? (u64)r : pre->total, o + n);
  }
  case 0: case 17: case 217: case 89: o[0].addr = a[1]; o[0].len = r; return 1;
  case 267: o[0].addr = a[2]; o[0].len = r; return 1;
  case 191: case 192: case 193: if (!a[2] || !a[3]) return 0; o[0].addr = a[2]; o[0].len = r; return 1;
  case 4: case 5: case 6: o[0].addr = a[1]; o[0].len = STAT_SIZE; return 1;
  case 262: o[0].addr = a[2]; o[0].len = STAT_SIZE; return 1;
  case 332: o[0].addr = a[4]; o[0].len = STATX_SIZE; return 1;
  case 228: o[0].addr = a[1]; o[0].len = 16; return 1;
  case 96: {
    u32 n = 0;
    if (a[0]) { o[n].addr = a[0]; o[n].len = 16; n++; }
    if (a[1]) { o[n].addr = a[1]; o[n].len = 8; n++; }
    return n;
  }
  case 201: if (!a[0]) return 0; o[0].addr = a[0]; o[0].len = 8; return 1;
  case 194: case 195: case 196: if (!a[1] || !a[2]) return 0; o[0].addr = a[1]; o[0].len = r; return 1;
  case 16:
    if (a[1] == FICLONE) return 0;
    o[0].addr = a[2];
    o[0].len = a[1] == TCGETS ? TERMIOS_SIZE : a[1] == TIOCGWINSZ ? WINSIZE_SIZE : 4; /* TIOCGPGRP, FIONREAD: an int */
    return 1;
  case 326: {
    u32 n = 0;
    if (a[1]) { o[n].addr = a[1]; o[n].len = 8; n++; }
    if (a[3]) { o[n].addr = a[3]; o[n].len = 8; n++; }
    return n;
  }
  case 318: o[0].addr = a[0]; o[0].len = r; return 1;
  case 45: o[0].addr = a[1]; o[0].len = (u64)r < (u64)a[2] ? (u64)r : (u64)a[2]; return 1; /* MSG_TRUNC: r may exceed len */
  case 7: case 271: o[0].addr = a[0]; o[0].len = a[1] * POLLFD_SIZE; return 1;
  case 232: case 281: o[0].addr = a[1]; o[0].len = r * EPOLL_EVENT_SIZE; return 1;
  case 14: if (!a[2]) return 0; o[0].addr = a[2]; o[0].len = SIGSET_SIZE; return 1;
  case 13: if (!a[2]) return 0; o[0].addr = a[2]; o[0].len = SIGACTION_SIZE; return 1;
  case 79: o[0].addr = a[0]; o[0].len = r; return 1;
  case 99: o[0].addr = a[0]; o[0].len = SYSINFO_SIZE; return 1;
  case 98: case 137: case 138: o[0].addr = a[1]; o[0].len = nr == 98 ? RUSAGE_SIZE : STATFS_SIZE; return 1;
  case 302: if (!a[3]) return 0; o[0].addr = a[3]; o[0].len = RLIMIT_SIZE; return 1;
  default: return 0;
  }
}

/* How many arguments the call takes (those compared at replay). */
static int nargs(i64 nr) {
  switch (nr) {
  case 39: case 186: case 110: case 102: case 107: case 104: case 108: return 0;
  case 201: case 3: return 1;
  case 4: case 5: case 6: case 21: case 228: case 96: case 72: case 91: return 2;
  case 0: case 217: case 89: case 8: case 269: case 194: case 195: case 196: case 1: case 20: case 16: case 318:
  case 93: case 268: case 258: case 263: case 266: return 3;
  case 17: case 262: case 267: case 191: case 192: case 193: case 439: case 18: case 221: case 257: case 280: return 4;
  case 190: case 260: return 5;
  case 332: return 5;
  case 202: case 7: return 3; /* futex: uaddr, op, val; poll */
  case 232: return 4;         /* epoll_wait */
  case 19: case 47: case 46: return 3; /* readv; recvmsg, sendmsg: fd, msghdr, flags */
  case 295: return 4;         /* preadv: the offset in one register (pos_h is not used on x86-64) */
  case 271: return 5;         /* ppoll */
  case 281: return 6;         /* epoll_pwait */
  case 99: case 87: case 74: case 75: return 1;
  case 79: case 98: case 137: case 138: case 197: case 198: case 199: return 2;
  case 28: return 3;
  case 12: return 1;
  case 9: return 6;           /* mmap: the hint, length, protection, flags, fd (ignored: anonymous), offset */
  case 10: return 3;          /* mprotect */
  case 11: return 2;          /* munmap */
  case 13: case 14: case 302: return 4;
  case 188: case 189: return 5;
  default: return 6;
  }
}

static u32 stat_mode(const u64 *st) { return *(const u32 *)((const u8 *)st + ST_MODE_OFFSET) & S_IFMT; }

static int file_or_dir(const u64 *st) { return stat_mode(st) == S_IFREG || stat_mode(st) == S_IFDIR; }

/* A write's file: a regular file whose changes the tracer does not follow, or /dev/null. */
static int writable_here(const u64 *st) {
  if (PROC->flags & PROC_NO_WRITES) return 0;
  if (stat_mode(st) == S_IFCHR) return *(const u64 *)((const u8 *)st + ST_RDEV_OFFSET) == DEV_NULL;
  if (stat_mode(st) != S_IFREG) return 0;
  u64 dev = *(const u64 *)((const u8 *)st + ST_DEV_OFFSET), ino = *(const u64 *)((const u8 *)st + ST_INO_OFFSET);
  u32 n = PROC->nwatch < MAX_WATCHED ? PROC->nwatch : MAX_WATCHED;
  for (u32 i = 0; i < n; i++) if (PROC->watch[i].dev == dev && PROC->watch[i].ino == ino) return 0;
  return 1;
}

static int has_prefix(const char *p, const char *prefix) {
  while (*prefix) if (*p++ != *prefix++) return 0;
  return 1;
}

#define S_IFIFO 0010000
#define S_IFSOCK 0140000
#define O_NONBLOCK 04000
#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define PIPE_BUF 4096
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_ERRQUEUE 0x2000

/* A pipe or FIFO, a socket, or an anonymous inode (eventfd, timerfd, signalfd…: no file type). */
static int stream_file(const u64 *st) {
  u32 m = stat_mode(st);
  return m == S_IFIFO || m == S_IFSOCK || m == 0;
}

/* Whether fd was opened (or set) O_NONBLOCK: asked each time (fcntl F_SETFL changes it). */
static int nonblocking(i64 fd) {
  i64 fl = sb_untraced(72, fd, F_GETFL, 0, 0, 0, 0);
  return fl >= 0 && (fl & O_NONBLOCK);
}

/* revents of fd for events, polled without waiting. */
static i64 poll_now(i64 fd, i64 events) {
  struct { i32 fd; short events, revents; } p = { (i32)fd, (short)events, 0 };
  return sb_untraced(7, (i64)&p, 1, 0, 0, 0, 0) == 1 ? p.revents : 0;
}

/*
 * A read of a pipe, socket or anonymous-inode fd that returns at once: the fd is nonblocking, or poll
 * says it is readable (data, or the other end closed, or an error to report). Only one recorded task
 * runs at a time, so nothing recorded takes the data between the poll and the read.
 */
static int may_read_now(i64 fd, const u64 *st, int polled_only) {
  if (!stream_file(st)) return 0;
  if (!polled_only && nonblocking(fd)) return 1;
  return (poll_now(fd, POLLIN) & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/*
 * A write or writev (not to a file) that returns at once: the fd is nonblocking (-EAGAIN is a result
 * like any other), or a write of at most PIPE_BUF bytes to a pipe with room (POLLOUT: a free slot,
 * which such a write never needs more than; not POLLERR: no reader, which raises SIGPIPE).
 */
static int may_write_now(i64 nr, const i64 *a, const u64 *st) {
  if (!stream_file(st)) return 0;
  if (nonblocking(a[0])) return 1;
  return nr == 1 && stat_mode(st) == S_IFIFO && (u64)a[2] <= PIPE_BUF && poll_now(a[0], POLLOUT) == POLLOUT;
}

/*
 * A ppoll's or epoll_pwait's temporary signal mask, which the buffer's try leaves out (run_here): one
 * the kernel takes (the size of its sigset_t, readable; else the call fails, as traced), and not while
 * the tracer holds a signal for the thread (it delivers it at the traced call, under that mask).
 */
static int mask_here(i64 mask, i64 size) {
  u64 set;
  return size == SIGSET_SIZE && read_own((u64)mask, SIGSET_SIZE, &set) == 0 && !header()->held;
}

#define PAGE 4096ul
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_TYPE 0xf
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000

/* [start, end) meets rewind's region or a range of GUARDED (or every range is guarded). */
static int guarded(u64 start, u64 end) {
  if (start < REWIND_END && end > REWIND_START) return 1;
  const struct sb_guarded *g = GUARDED;
  if (g->all) return 1;
  u32 n = g->count < MAX_GUARDED ? g->count : MAX_GUARDED;
  for (u32 i = 0; i < n; i++) if (start < g->range[i].end && end > g->range[i].start) return 1;
  return 0;
}

/*
 * Record: a memory call that changes nothing the tracer follows. mmap of anonymous private memory that
 * is not executable, at an address the kernel picks (a hint, never MAP_FIXED: nothing is replaced), not
 * in rewind's region; munmap and mprotect (not to executable) of whole pages that meet no guarded range.
 */
static int memory_here(i64 nr, const i64 *a) {
  u64 len = (u64)a[1];
  if (len == 0 || len > (1ul << 46)) return 0;
  u64 pages = (len + PAGE - 1) & ~(PAGE - 1);
  if (nr == 9) {
    const i64 flags_ok = MAP_TYPE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK;
    if ((a[2] & ~(i64)(PROT_READ | PROT_WRITE)) != 0) return 0;
    if ((a[3] & MAP_TYPE) != MAP_PRIVATE || !(a[3] & MAP_ANONYMOUS) || (a[3] & ~flags_ok) != 0) return 0;
    return a[0] == 0 || !((u64)a[0] < REWIND_END && (u64)a[0] + pages > REWIND_START);
  }
  if ((u64)a[0] & (PAGE - 1)) return 0;
  if (nr == 10 && (a[2] & ~(i64)(PROT_READ | PROT_WRITE)) != 0) return 0;
  return !guarded((u64)a[0], (u64)a[0] + pages);
}

/*
 * Record: whether this call may run here (the conditions max_output's rows name): the fd of a read, a
 * write or a close checked with an untraced fstat each time (no fd cache to invalidate), an openat's
 * target with an untraced stat (a FIFO or a device could block it).
 */
static int allowed(i64 nr, const i64 *a) {
  u64 st[STAT_SIZE / 8];
  switch (nr) {
  case 0: case 17: case 19: case 295:
    return sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 &&
           (stat_mode(st) == S_IFREG || ((nr == 0 || nr == 19) && may_read_now(a[0], st, 0)));
  case 20: /* echoed: its iovecs read safely first, and not more bytes than the room kept for them */
    if (echo_of(a[0]) == 1 || echo_of(a[0]) == 2) {
      u64 iov[2 * IOV_ECHO_MAX];
      if (iovecs_total(a, iov) > WRITEV_ECHO_MAX) return 0;
    }
    /* fall through */
  case 1: case 18:
    if (echo_of(a[0]) == 3) return 0;
    return sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 && (writable_here(st) || (nr != 18 && may_write_now(nr, a, st)));
  case 45: case 47: { /* recvfrom, recvmsg: a socket; MSG_WAITALL waits for all len bytes even when some are there */
    i64 flags = nr == 45 ? a[3] : a[2];
    if (nr == 47 && (flags & MSG_ERRQUEUE)) return 0;
    return sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 && stat_mode(st) == S_IFSOCK &&
           (flags & MSG_DONTWAIT || nonblocking(a[0]) || (!(flags & MSG_WAITALL) && may_read_now(a[0], st, 1)));
  }
  case 44: case 46: /* sendto, sendmsg: not to rewind's stdout or stderr; a stream socket's send may block part way */
    return echo_of(a[0]) == 0 && sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 && stat_mode(st) == S_IFSOCK &&
           ((nr == 44 ? a[3] : a[2]) & MSG_DONTWAIT || nonblocking(a[0]));
  case 3: /* not one of rewind's stdout or stderr: the tracer's model (PROC, read-only here) must see that */
    return echo_of(a[0]) == 0 && sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 && file_or_dir(st);
  case 257: {
    /* Not O_TMPFILE; a path that exists must be a file or directory (a FIFO or device could block the
       open), and one opened for writing or truncated not a file the tracer follows. */
    i64 flags = a[2];
    if ((flags & O_TMPFILE) == O_TMPFILE) return 0;
    i64 r = sb_untraced(262, a[0], a[1], (i64)st, flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0, 0, 0);
    if (r == -EFAULT) return 0; /* the path is not readable: not read here either */
    const char *path = (const char *)a[1];
    if (has_prefix(path, "/proc/") || has_prefix(path, "/dev/") || has_prefix(path, "/sys/")) return 0;
    if (r != 0) return r == -ENOENT || !(flags & O_CREAT); /* created, or fails as the stat did */
    if (!file_or_dir(st)) return 0;
    if ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC)) return stat_mode(st) == S_IFDIR || writable_here(st);
    return 1;
  }
  case 326: /* copy_file_range: both regular files, the output one a file a write could go to */
    if (echo_of(a[2]) != 0) return 0;
    if (sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) != 0 || stat_mode(st) != S_IFREG) return 0;
    return sb_untraced(5, a[2], (i64)st, 0, 0, 0, 0) == 0 && stat_mode(st) == S_IFREG && writable_here(st);
  case 13: /* not while the tracer holds a signal for this thread: it delivers that first */
    return !header()->held;
  case 14: /* the same; and an rt_sigprocmask that may unblock a pending signal goes to the tracer */
    return !header()->held && (a[0] == SIG_BLOCK || !a[1] || !blocked_pending());
  case 16:
    if (a[1] != FICLONE) {
      /* The tty requests, on an fd of a file type (not an anonymous inode, whose ioctls are its own,
         nor a block device): a tty writes what the table records, anything else fails with ENOTTY
         (or for FIONREAD writes the int bytes ready, as the table records too). */
      if (sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) != 0) return 0;
      u32 m = stat_mode(st);
      return m == S_IFCHR || m == S_IFREG || m == S_IFDIR || m == S_IFIFO || m == S_IFSOCK;
    }
    if (sb_untraced(5, a[2], (i64)st, 0, 0, 0, 0) != 0 || stat_mode(st) != S_IFREG) return 0;
    return sb_untraced(5, a[0], (i64)st, 0, 0, 0, 0) == 0 && stat_mode(st) == S_IFREG && writable_here(st);
  case 9: case 10: case 11:
    return memory_here(nr, a);
  case 271: { /* ppoll: with no timeout or a zero one (the kernel writes no remaining time back) */
    if (a[2]) {
      i64 ts[2];
      if (read_own((u64)a[2], sizeof ts, ts) != 0 || ts[0] != 0 || ts[1] != 0) return 0;
    }
    return !a[3] || mask_here(a[3], a[4]);
  }
  case 281: /* epoll_pwait: the same */
    return !a[4] || mask_here(a[4], a[5]);
  default:
    return 1;
  }
}

static struct sb_ret traced(void) {
  struct sb_ret r = { 0, 1 };
  return r;
}

#define EINTR 4
#define EAGAIN 11
#define ETIMEDOUT 110
static int interrupted(i64 r) { return r == -EINTR || (r <= -512 && r >= -516); /* the ERESTART codes */ }

/*
 * Runs the call here, into *r; 0 when it would have waited (it did nothing the traced call does not
 * redo): then it goes to the tracer with its own arguments. poll and epoll_wait are tried without
 * waiting (a poll's revents written here are written again by the traced call, whose outputs replay
 * applies); a futex wait with a zero timeout, which fails with EAGAIN at once when the word is not
 * the value (the wait the program asked for would not wait either) and times out when it is.
 */
static int run_here(i64 nr, const i64 *a, const struct pre *pre, i64 *r) {
  if (nr == 7 || nr == 232) {
    i64 timeout = nr == 7 ? a[2] : a[3];
    *r = nr == 7 ? sb_untraced(7, a[0], a[1], 0, 0, 0, 0) : sb_untraced(232, a[0], a[1], a[2], 0, 0, 0);
    return timeout == 0 || (*r != 0 && !interrupted(*r));
  }
  if (nr == 271 || nr == 281) {
    /* ppoll, epoll_pwait: as poll and epoll_wait, tried without the temporary signal mask: under it
       the try would take a signal pending and blocked (the tracer would then hold it, and could not
       deliver it while the program's mask blocks it: the traced call would wait for ever). With a
       mask, only ready fds (r > 0) are buffered: with fds ready the kernel returns them whatever is
       pending (it looks for signals only when none is) and restores the program's mask without
       delivering a signal the temporary one let through; a call that would wait, or time out at
       once, under the mask could be interrupted by such a signal, and goes to the tracer. */
    i64 zero[2] = { 0, 0 };
    i64 mask = nr == 271 ? a[3] : a[4];
    int at_once = nr == 271 ? a[2] != 0 : a[3] == 0; /* allowed(): a ppoll timeout given is zero */
    *r = nr == 271 ? sb_untraced(271, a[0], a[1], (i64)zero, 0, 0, 0) : sb_untraced(232, a[0], a[1], a[2], 0, 0, 0);
    if (mask) return *r > 0;
    return at_once || (*r != 0 && !interrupted(*r));
  }
  if (nr == 19 || nr == 295) {
    /* readv, preadv: the kernel reads the copy of the iovecs the outputs are taken from */
    *r = sb_untraced(nr, a[0], (i64)pre->iov, a[2], a[3], a[4], 0);
    return 1;
  }
  if (nr == 47) {
    /* recvmsg: a copy of the msghdr pointing at the copy of the iovecs; what the kernel sets in it
       (msg_namelen, msg_controllen, msg_flags) is then stored in the program's (writable: pre_read) */
    u64 hdr[MSGHDR_SIZE / 8];
    copy((u8 *)hdr, (const u8 *)pre->hdr, MSGHDR_SIZE);
    hdr[MH_IOV] = (u64)pre->iov;
    *r = sb_untraced(47, a[0], (i64)hdr, a[2], 0, 0, 0);
    hdr[MH_IOV] = pre->hdr[MH_IOV];
    if (*r >= 0) copy((u8 *)a[1], (const u8 *)hdr, MSGHDR_SIZE);
    return 1;
  }
  i64 cmd = a[1] & ~(i64)FUTEX_FLAGS;
  if (nr == 202 && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)) {
    i64 zero[2] = { 0, 0 }; /* relative for FUTEX_WAIT, absolute (long past) for FUTEX_WAIT_BITSET */
    *r = sb_untraced(202, a[0], a[1], a[2], (i64)zero, a[4], a[5]);
    return *r != -ETIMEDOUT && !interrupted(*r);
  }
  *r = sb_untraced(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  return 1;
}

/*
 * The calls a buffer with HF_SHARED_PROC takes: those that neither name a descriptor nor depend on
 * the process settings (PROC describes its creator's descriptors): the signal mask and handlers
 * (posix_spawn's child resets every handler), the ids, the clocks. The rest go to the tracer.
 */
static int shared_proc_call(i64 nr) {
  switch (nr) {
  case 13: case 14: case 39: case 186: case 110: case 102: case 107: case 104: case 108: case 228: case 96: case 201:
    return 1;
  default:
    return 0;
  }
}

static struct sb_ret record(struct sb_header *h, struct sb_frame *f) {
  if (h->yield) return traced();
  if ((h->flags & HF_SHARED_PROC) && !shared_proc_call(f->nr)) return traced();
  i64 max = max_output(f->nr, f->a);
  if (max < 0) return traced();
  if (!allowed(f->nr, f->a)) return traced();
  struct pre pre;
  i64 more = pre_read(f->nr, f->a, &pre);
  if (more < 0) return traced();
  max += more;
  u64 need = sizeof(struct sb_record) + MAX_OUT * 24 + (u64)max; /* each output: 16 bytes and up to 7 of padding */
  if ((u64)max > h->capacity || (u64)h->used + h->reserved + need > h->capacity) return traced(); /* full: the traced call flushes it */
  i64 r;
  if (f->nr == 20 && echo_of(f->a[0])) r = writev_echo(f->a);
  else if (!run_here(f->nr, f->a, &pre, &r)) return traced();
  struct sb_record *rec = (struct sb_record *)(h->records + h->used);
  rec->nr = (i32)f->nr;
  for (int i = 0; i < 6; i++) rec->args[i] = f->a[i];
  rec->result = r;
  rec->echo = 0;
  u8 *p = (u8 *)(rec + 1);
  if ((f->nr == 1 || f->nr == 20) && echo_of(f->a[0]) && r > 0) {
    /* Bytes for rewind's stdout or stderr: replay re-emits them as the program writes them there. */
    rec->echo = echo_of(f->a[0]);
    rec->nout = 0;
    h->reserved += 16 + (((u64)r + 7) & ~7ul);
  } else {
    struct out o[MAX_OUT];
    u32 n = outputs(f->nr, f->a, r, &pre, o);
    rec->nout = n;
    for (u32 i = 0; i < n; i++) {
      u64 len = o[i].len > (u64)max ? (u64)max : o[i].len;
      ((u64 *)p)[0] = o[i].addr;
      ((u64 *)p)[1] = len;
      copy(p + 16, (const u8 *)o[i].addr, len);
      p += 16 + ((len + 7) & ~7ul);
    }
  }

  rec->size = (u32)(p - (u8 *)rec);
  h->used += rec->size;
  h->count++;
  struct sb_ret ret = { r, 0 };
  return ret;
}

static struct sb_ret replay(struct sb_header *h, struct sb_frame *f) {
  if (h->consumed >= h->count) return traced(); /* no record: the call was traced when recorded */
  struct sb_record *rec = (struct sb_record *)(h->records + h->consumed_bytes);
  int ok = rec->nr == f->nr;
  for (int i = 0; ok && i < nargs(f->nr); i++) ok = rec->args[i] == f->a[i];
  if (!ok) {
    /* Not the recorded call: traced, so the replayer stops there and reports the divergence. */
    h->mismatch_nr = (i32)f->nr;
    h->mismatch_at = h->consumed;
    return traced();
  }
  u8 *p = (u8 *)(rec + 1);
  if (executed(f->nr)) return replay_executed(h, f, rec);
  if (rec->echo) {
    /* An echoed write: the bytes the program wrote go into the output the tracer added to the
       record, for the tracer to re-emit (what it recomputed here; the trace does not hold them). */
    if (f->nr == 20) gather(p + 16, (const u64 *)f->a[1], f->a[2], ((u64 *)p)[1]);
    else copy(p + 16, (const u8 *)f->a[1], ((u64 *)p)[1]);
  }
  for (u32 i = 0; i < rec->nout && !rec->echo; i++) {
    u64 addr = ((u64 *)p)[0], len = ((u64 *)p)[1];
    copy((u8 *)addr, p + 16, len);
    p += 16 + ((len + 7) & ~7ul);
  }
  return consume(h, rec, rec->result);
}

/*
 * The buffered calls replay must run for real (the syscall table executes them: the signal mask and
 * handlers shape signal delivery and are inherited; madvise, brk, mmap, munmap and mprotect change
 * memory). replay() runs each one untraced and compares what it got, its result and the bytes it wrote,
 * with the record.
 */
static int executed(i64 nr) { return nr == 14 || nr == 13 || nr == 28 || nr == 12 || nr == 9 || nr == 10 || nr == 11; }

/*
 * Record: whether a blocked signal is pending for the thread (rt_sigpending: the blocked ones). An
 * rt_sigprocmask unblocking one must have it delivered before the call returns (a program may count
 * on that); delivered inside the buffer's code it would be held until the thread is out of it, so
 * such a call goes to the tracer instead. (One that arrives while the call runs is held, as any
 * signal arriving there: the same as arriving just after it.)
 */
static int blocked_pending(void) {
  u64 set = 0;
  return sb_untraced(127, (i64)&set, SIGSET_SIZE, 0, 0, 0, 0) != 0 || set != 0;
}

static int same_bytes(const u8 *x, const u8 *y, u64 n) {
  u64 i = 0;
  for (; i + 8 <= n; i += 8) {
    u64 a, b;
    __builtin_memcpy(&a, x + i, 8);
    __builtin_memcpy(&b, y + i, 8);
    if (a != b) return 0;
  }
  for (; i < n; i++) if (x[i] != y[i]) return 0;
  return 1;
}

/*
 * Replay of an executed call matching its record: run it here. Another result or other bytes than
 * recorded: a divergence, reported like a call that does not match its record (mismatch_nr and
 * mismatch_at, with mismatch_ran saying it ran and mismatch_result what it returned): the call then
 * goes to the tracer, which stops at its entry and reports it before it runs again.
 * A recorded success of rt_sigprocmask or rt_sigaction runs on copies in the buffer's own memory (the
 * new set or action read, the old one written, with plain loads and stores): the kernel then never
 * touches the program's pages, which a debugger's software watchpoints may protect at replay (the
 * replayer lifts them only around the calls it runs itself), and the bytes go where the program
 * asked as emulated outputs do.
 */
static struct sb_ret mismatch_ran(struct sb_header *h, struct sb_frame *f, u32 ran, i64 r) {
  h->mismatch_nr = (i32)f->nr;
  h->mismatch_at = h->consumed;
  h->mismatch_ran = ran;
  h->mismatch_result = r;
  return traced();
}

static struct sb_ret consume(struct sb_header *h, struct sb_record *rec, i64 r) {
  h->consumed++;
  h->consumed_bytes += rec->size;
  struct sb_ret ret = { r, 0 };
  return ret;
}

/*
 * Replay of a buffered mmap, munmap or mprotect: one that failed when recorded fails again without
 * running; one that succeeded runs here, an mmap at the address it got then (MAP_FIXED_NOREPLACE: a
 * mapping in the way is a divergence, never replaced). Under a debugger's software watchpoints
 * (PROC_DELEGATE_MEMORY) the tracer runs it instead, with the page protections lifted (replayer.ts).
 */
static struct sb_ret replay_memory(struct sb_header *h, struct sb_frame *f, struct sb_record *rec) {
  const i64 *a = f->a;
  if (rec->result < 0 && rec->result > -4096) return consume(h, rec, rec->result);
  if (PROC->flags & PROC_DELEGATE_MEMORY) {
    h->delegated = 1;
    return traced();
  }
  i64 r = f->nr == 9 ? sb_untraced(9, rec->result, a[1], a[2], a[3] | MAP_FIXED_NOREPLACE, a[4], a[5])
                     : sb_untraced(f->nr, a[0], a[1], a[2], 0, 0, 0);
  if (r != rec->result) return mismatch_ran(h, f, 1, r);
  return consume(h, rec, r);
}

static struct sb_ret replay_executed(struct sb_header *h, struct sb_frame *f, struct sb_record *rec) {
  if (f->nr == 9 || f->nr == 10 || f->nr == 11) return replay_memory(h, f, rec);
  i64 a[6];
  for (int i = 0; i < 6; i++) a[i] = f->a[i];
  u8 in[SIGACTION_SIZE], out[SIGACTION_SIZE];
  u64 size = f->nr == 14 ? SIGSET_SIZE : SIGACTION_SIZE;
  int own = (f->nr == 13 || f->nr == 14) && rec->result == 0;
  if (own && a[1]) {
    copy(in, (const u8 *)a[1], size);
    a[1] = (i64)in;
  }
  if (own && a[2]) a[2] = (i64)out;
  i64 r = sb_untraced(f->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  u32 ran = r != rec->result ? 1 : 0;
  u8 *p = (u8 *)(rec + 1);
  for (u32 i = 0; i < rec->nout && !ran; i++) {
    u64 addr = ((u64 *)p)[0], len = ((u64 *)p)[1];
    if (own && len > size) ran = 2;
    else if (!same_bytes(own ? out : (const u8 *)addr, p + 16, len)) ran = 2;
    else if (own) copy((u8 *)addr, out, len);
    p += 16 + ((len + 7) & ~7ul);
  }
  if (ran) return mismatch_ran(h, f, ran, r);
  return consume(h, rec, r);
}

/*
 * A writev to rewind's stdout or stderr (echoed: replay re-emits the bytes, gathered from the
 * program's iovecs). Its iovec array is read with an untraced process_vm_readv of the process's own
 * memory, so a bad array fails there (as the kernel's writev would: -EFAULT) and never in the buffer's
 * code; the kernel then writes from that copy, so the bytes written are never more than the room the
 * buffer checked (a program changing its array meanwhile gets at most a short write).
 * iovecs_total: the sum of the lengths of the iovecs at a[1] (a[2] of them, at most IOV_ECHO_MAX),
 * read into iov, or a negative errno; WRITEV_ECHO_MAX + 1 when more.
 */
static i64 iovecs_total(const i64 *a, u64 *iov) {
  if (a[2] < 0 || a[2] > IOV_ECHO_MAX) return WRITEV_ECHO_MAX + 1;
  if (a[2] == 0) return 0;
  u64 local[2] = { (u64)iov, (u64)a[2] * 16 }, remote[2] = { (u64)a[1], (u64)a[2] * 16 };
  i64 pid = sb_untraced(39, 0, 0, 0, 0, 0, 0);
  i64 got = sb_untraced(310, pid, (i64)local, 1, (i64)remote, 1, 0); /* process_vm_readv */
  if (got < 0) return got;
  if (got != a[2] * 16) return -EFAULT;
  u64 total = 0;
  for (i64 i = 0; i < a[2]; i++) {
    if (iov[2 * i + 1] > WRITEV_ECHO_MAX) return WRITEV_ECHO_MAX + 1;
    total += iov[2 * i + 1];
  }
  return (i64)total;
}

static i64 writev_echo(const i64 *a) {
  u64 iov[2 * IOV_ECHO_MAX];
  i64 total = iovecs_total(a, iov);
  if (total < 0) return total;
  u64 room = WRITEV_ECHO_MAX;
  for (i64 i = 0; i < a[2]; i++) {
    if (iov[2 * i + 1] > room) iov[2 * i + 1] = room;
    room -= iov[2 * i + 1];
  }
  return sb_untraced(20, a[0], (i64)iov, a[2], 0, 0, 0);
}

/* Reads len bytes of the process's own memory at addr into to (untraced process_vm_readv): 0, or -1. */
static int read_own(u64 addr, u64 len, void *to) {
  u64 local[2] = { (u64)to, len }, remote[2] = { addr, len };
  i64 pid = sb_untraced(39, 0, 0, 0, 0, 0, 0);
  return sb_untraced(310, pid, (i64)local, 1, (i64)remote, 1, 0) == (i64)len ? 0 : -1;
}

/* Whether the process's own memory at addr takes len bytes: writes there what is there (from). */
static int writable_own(u64 addr, u64 len, const void *from) {
  u64 local[2] = { (u64)from, len }, remote[2] = { addr, len };
  i64 pid = sb_untraced(39, 0, 0, 0, 0, 0, 0);
  return sb_untraced(311, pid, (i64)local, 1, (i64)remote, 1, 0) == (i64)len; /* process_vm_writev */
}

/* The n iovecs at addr into pre (at most IOV_BUF_MAX): their total length, or -1 (traced). */
static i64 pre_iovecs(u64 addr, i64 n, struct pre *pre) {
  if (n < 0 || n > IOV_BUF_MAX) return -1;
  pre->niov = n;
  pre->total = 0;
  if (n > 0 && read_own(addr, (u64)n * 16, pre->iov) != 0) return -1;
  for (i64 i = 0; i < n; i++) {
    if (pre->iov[2 * i + 1] > 0x7fffffff) return -1; /* more than any buffer holds: traced */
    pre->total += pre->iov[2 * i + 1];
  }
  return (i64)pre->total;
}

/*
 * Record, after allowed(): what readv, preadv, recvmsg and sendmsg point at (struct pre), and how
 * many bytes of outputs that adds to max_output's; -1 when the call goes to the tracer (an array or
 * msghdr that cannot be read, too many iovecs, control data: SCM_RIGHTS fds change the fd table the
 * recorder models; a recvmsg's msghdr the kernel could not write back).
 */
static i64 pre_read(i64 nr, const i64 *a, struct pre *pre) {
  pre->niov = 0;
  pre->total = 0;
  switch (nr) {
  case 19: case 295: return pre_iovecs((u64)a[1], a[2], pre);
  case 46: case 47: {
    if (read_own((u64)a[1], MSGHDR_SIZE, pre->hdr) != 0 || pre->hdr[MH_CONTROLLEN] != 0) return -1;
    if (nr == 46) return 0;
    if (!writable_own((u64)a[1], MSGHDR_SIZE, pre->hdr)) return -1;
    i64 total = pre_iovecs(pre->hdr[MH_IOV], (i64)pre->hdr[MH_IOVLEN], pre);
    return total < 0 ? -1 : MSGHDR_SIZE + SOCKADDR_MAX + total;
  }
  default: return 0;
  }
}

/* Replay: the first len bytes the recorded writev wrote, from the program's n iovecs at iov. */
static void gather(u8 *to, const u64 *iov, i64 n, u64 len) {
  for (i64 i = 0; i < n && len > 0; i++) {
    u64 k = iov[2 * i + 1] < len ? iov[2 * i + 1] : len;
    copy(to, (const u8 *)iov[2 * i], k);
    to += k;
    len -= k;
  }
}

struct sb_ret sb_hook(struct sb_frame *f) {
  struct sb_header *h = header();
  if (h->mode == 1) return record(h, f);
  if (h->mode == 2) return replay(h, f);
  return traced();
}
