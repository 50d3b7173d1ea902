// Syscall buffer: the calls it runs in the program (native/syscallbuf/syscallbuf.c `max_output` holds
// the same list): calls that cannot block and whose whole effect at replay is their result and the
// bytes they write, all emulated by the syscall table. read and pread64 only on regular files (the
// buffer checks each time with an untraced fstat); anything else goes to the tracer as before.
import { SYS } from '../kernel/syscall-names.js';

export const BUFFERED_SYSCALLS: ReadonlySet<number> = new Set([
  SYS.read, SYS.pread64, SYS.getdents64, SYS.readlink, SYS.readlinkat, SYS.getxattr, SYS.lgetxattr, SYS.fgetxattr,
  SYS.stat, SYS.fstat, SYS.lstat, SYS.newfstatat, SYS.statx, SYS.clock_gettime, SYS.gettimeofday, SYS.time,
  SYS.lseek, SYS.access, SYS.faccessat, SYS.faccessat2,
  SYS.getpid, SYS.gettid, SYS.getppid, SYS.getuid, SYS.geteuid, SYS.getgid, SYS.getegid,
]);
