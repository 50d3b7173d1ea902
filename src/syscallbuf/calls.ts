// Syscall buffer: the calls it runs in the program (native/syscallbuf/syscallbuf.c `max_output` holds
// the same list, row for row, with the conditions checked there by `allowed`): calls that cannot block
// and whose whole effect at replay is their result and the bytes they write, all emulated by the
// syscall table. read, pread64, readv and preadv (at most 16 iovecs) only on regular files, write and pwrite64 and writev on regular files
// the recorder does not follow (SharedFiles) and /dev/null, close of a file or directory (the buffer
// checks each with an untraced fstat), openat (not O_TMPFILE) outside /proc, /dev and /sys of a path that
// is a file or directory or does not exist (an untraced stat first; for writing or O_TRUNC not a file
// the recorder follows), copy_file_range and ioctl FICLONE from a regular file into one a write could go
// to, fcntl F_GETFD/F_SETFD/F_GETFL, ioctl TCGETS/TIOCGWINSZ/TIOCGPGRP/FIONREAD on a character device,
// regular file, directory, FIFO or socket, getrandom without GRND_RANDOM, and the
// metadata changes utimensat, fsetxattr, fchmod(at), fchown(at), mkdirat, unlinkat, symlinkat;
// getcwd, sysinfo, getrusage, statfs, fstatfs, prlimit64 reading this process's limit, unlink,
// fsync, fdatasync, setxattr, lsetxattr, (l|f)removexattr, fcntl F_SETLK/F_OFD_SETLK (never wait);
// and four calls the syscall table executes, which replay runs for real in the buffer (`executed` in
// syscallbuf.c) and compares with the record (result and old set or action; a difference is a
// divergence naming the `buffered` event): rt_sigprocmask and rt_sigaction (both left to the tracer
// while it holds a signal for the thread, which it delivers first; an rt_sigprocmask that may unblock
// a pending signal too, which the kernel delivers before it returns), madvise (every advice, as the
// table executes every one), brk (format 10 on: the heap's end, the same at replay, whose image has
// the recorded layout; it maps no code, which the patcher follows), and mmap, munmap and mprotect (format
// 13 on): an mmap of anonymous private memory that is not executable, at an address the kernel picks
// (at replay: the recorded one, MAP_FIXED_NOREPLACE), and munmap and mprotect (not to executable) of
// pages outside the ranges the recorder guards (guarded-memory.ts: code, files, shared memory, rewind's
// region): none changes anything the recorder follows; at replay, under a debugger's software
// watchpoints, the tracer runs them instead (PROC_DELEGATE_MEMORY). Calls that may block, taken only when an untraced check in the program (no cache: asked each time)
// says they will not; otherwise traced, where blocking is handled: read of a pipe, socket or
// anonymous-inode fd (eventfd…) that is O_NONBLOCK (fcntl F_GETFL) or readable now (poll with timeout
// 0: POLLIN, POLLHUP or POLLERR), and readv of one as read; write and writev to such an fd that is O_NONBLOCK, and write of at
// most PIPE_BUF bytes to a pipe poll says has room (POLLOUT alone); recv (recvfrom asking no source
// address) and recvmsg (no control data, not MSG_ERRQUEUE, at most 16 iovecs) of a socket that is
// O_NONBLOCK, or with MSG_DONTWAIT, or readable now without MSG_WAITALL; sendto and sendmsg (no control
// data: SCM_RIGHTS changes the fd table) on a socket that is O_NONBLOCK or with MSG_DONTWAIT, not
// rewind's stdout or stderr; futex
// FUTEX_WAKE(_BITSET), and FUTEX_WAIT(_BITSET) run with a zero timeout first (-EAGAIN: the word was
// not the value, buffered; timed out: it would wait, traced); poll and epoll_wait run with timeout 0
// first (ready fds, or the program's own timeout 0: buffered; else traced with the program's
// arguments), ppoll (no timeout or a zero one) and epoll_pwait the same (tried without their
// temporary signal mask, which would take a blocked pending signal), with a mask only when fds are
// ready and no signal is held for the thread. Only one recorded task runs at a time,
// so nothing recorded changes the answer between the check and the call. Anything else goes to the tracer as before. A write or writev to rewind's own stdout or stderr keeps
// its bytes in the record, and replay re-emits them.
import { SYS } from '../kernel/syscall-names.js';

/**
 * The buffered calls replay makes for real (`executed` in syscallbuf.c): the only syscalls replay's
 * seccomp filter lets through from the buffer's untraced instruction.
 */
export const REPLAY_EXECUTED_SYSCALLS: readonly number[] = [SYS.rt_sigprocmask, SYS.rt_sigaction, SYS.madvise, SYS.brk, SYS.mmap,
  SYS.munmap, SYS.mprotect];

/** The buffered calls that change the address space (replay: run by the tracer under software watchpoints). */
export const BUFFERED_MEMORY_SYSCALLS: readonly number[] = [SYS.mmap, SYS.munmap, SYS.mprotect];

export const BUFFERED_SYSCALLS: ReadonlySet<number> = new Set([
  SYS.read, SYS.pread64, SYS.getdents64, SYS.readlink, SYS.readlinkat, SYS.getxattr, SYS.lgetxattr, SYS.fgetxattr,
  SYS.listxattr, SYS.llistxattr, SYS.flistxattr,
  SYS.stat, SYS.fstat, SYS.lstat, SYS.newfstatat, SYS.statx, SYS.clock_gettime, SYS.gettimeofday, SYS.time,
  SYS.lseek, SYS.access, SYS.faccessat, SYS.faccessat2,
  SYS.getpid, SYS.gettid, SYS.getppid, SYS.getuid, SYS.geteuid, SYS.getgid, SYS.getegid,
  SYS.write, SYS.pwrite64, SYS.writev, SYS.openat, SYS.close, SYS.fcntl, SYS.ioctl, SYS.getrandom, SYS.fadvise64,
  SYS.copy_file_range, SYS.utimensat, SYS.fsetxattr, SYS.fchmod, SYS.fchown, SYS.fchownat, SYS.fchmodat, SYS.mkdirat,
  SYS.unlinkat, SYS.symlinkat,
  SYS.recvfrom, SYS.sendto, SYS.futex, SYS.poll, SYS.epoll_wait,
  SYS.readv, SYS.preadv, SYS.recvmsg, SYS.sendmsg, SYS.ppoll, SYS.epoll_pwait,
  SYS.rt_sigprocmask, SYS.rt_sigaction, SYS.madvise, SYS.brk, SYS.mmap, SYS.munmap, SYS.mprotect,
  SYS.getcwd, SYS.sysinfo, SYS.getrusage, SYS.statfs, SYS.fstatfs, SYS.prlimit64, SYS.unlink, SYS.fsync,
  SYS.fdatasync, SYS.setxattr, SYS.lsetxattr, SYS.removexattr, SYS.lremovexattr, SYS.fremovexattr,
]);
