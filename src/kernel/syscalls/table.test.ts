import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_RANGE_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC } from '../fcntl.js';
import { SYS, syscallName, syscallNumber } from '../syscall-names.js';
import { ALL_SYSCALLS, syscallDef, unsupportedMessage } from './index.js';
import type { SyscallKind } from './types.js';

/** fcntl(F_GETFL), include/uapi/asm-generic/fcntl.h: not a duplication. */
const F_GETFL = 3;

const kindOf = (name: string): SyscallKind | undefined => syscallDef(syscallNumber(name) ?? -1)?.kind;

test('every known syscall has exactly one entry, in number order', () => {
  assert.equal(ALL_SYSCALLS.length, Object.keys(SYS).length);
  for (let i = 1; i < ALL_SYSCALLS.length; i++) assert.ok(ALL_SYSCALLS[i - 1]!.nr < ALL_SYSCALLS[i]!.nr);
  for (const d of ALL_SYSCALLS) {
    assert.equal(syscallDef(d.nr), d);
    assert.equal(syscallName(d.nr), d.name);
  }
  assert.equal(syscallDef(0)?.name, 'read');
  assert.equal(syscallDef(400), undefined);
  assert.equal(syscallDef(-1), undefined);
  assert.equal(syscallDef(100000), undefined);
});

test('names and numbers', () => {
  assert.equal(SYS.read, 0);
  assert.equal(SYS.write, 1);
  assert.equal(SYS.openat, 257);
  assert.equal(SYS.exit_group, 231);
  assert.equal(SYS.rseq, 334);
  assert.equal(SYS.clone3, 435);
  assert.equal(syscallName(999), 'syscall_999');
  assert.equal(syscallNumber('getpid'), 39);
  assert.equal(syscallNumber('toString'), undefined);
  assert.equal(syscallNumber('nope'), undefined);
});

test('execute policy', () => {
  for (const n of ['mmap', 'munmap', 'mprotect', 'mremap', 'brk', 'madvise', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'arch_prctl', 'rt_sigaction', 'rt_sigprocmask',
    'rt_sigreturn', 'sigaltstack', 'set_tid_address', 'set_robust_list', 'exit', 'exit_group', 'execve', 'execveat', 'rt_sigsuspend']) {
    assert.equal(kindOf(n), 'execute', n);
  }
});

test('enosys and unsupported policy, each with a note', () => {
  for (const n of ['rseq', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'clone3', 'io_setup', 'io_submit',
    'io_getevents', 'io_cancel', 'io_destroy', 'io_pgetevents', 'userfaultfd', 'pkey_alloc', 'bpf',
    'landlock_create_ruleset']) {
    assert.equal(kindOf(n), 'enosys', n);
  }
  for (const n of ['fork', 'vfork', 'clone']) assert.equal(kindOf(n), 'execute', n);
  for (const n of ['ptrace', 'process_vm_writev',
    'kexec_load', 'kexec_file_load', 'modify_ldt', 'iopl', 'ioperm', 'setns', 'pivot_root']) {
    assert.equal(kindOf(n), 'unsupported', n);
  }
  for (const d of ALL_SYSCALLS) if (d.kind === 'enosys' || d.kind === 'unsupported') assert.ok(d.note, d.name);
  assert.match(unsupportedMessage(SYS.ptrace), /^unsupported syscall ptrace \(101\): the tracee cannot trace/);
  assert.match(unsupportedMessage(400), /syscall_400/);
});

test('ordinary syscalls are emulated', () => {
  const names = `read write open openat openat2 close close_range stat fstat lstat newfstatat statx statfs fstatfs poll ppoll
    select pselect6 lseek pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2 access faccessat faccessat2 pipe pipe2
    dup dup2 dup3 fcntl flock fsync fdatasync truncate ftruncate getdents getdents64 getcwd chdir fchdir rename renameat
    renameat2 mkdir mkdirat rmdir creat link linkat unlink unlinkat symlink symlinkat readlink readlinkat chmod fchmod
    fchmodat chown fchown lchown fchownat umask utime utimes utimensat futimesat mknod mknodat sync syncfs fallocate sendfile
    copy_file_range splice tee ioctl socket socketpair connect accept accept4 bind listen sendto recvfrom sendmsg recvmsg
    sendmmsg recvmmsg shutdown getsockname getpeername setsockopt getsockopt epoll_create epoll_create1 epoll_ctl epoll_wait
    epoll_pwait epoll_pwait2 eventfd eventfd2 timerfd_create timerfd_settime timerfd_gettime signalfd signalfd4 inotify_init
    inotify_init1 inotify_add_watch inotify_rm_watch memfd_create getpid getppid gettid getuid geteuid getgid getegid
    getgroups setuid getpgrp getpgid setpgid getsid setsid getresuid getresgid getpriority setpriority sched_yield
    sched_getaffinity sched_setaffinity sched_getparam sched_getscheduler sched_get_priority_max sched_get_priority_min
    getcpu uname sysinfo getrusage times getrlimit setrlimit prlimit64 personality prctl capget capset clock_gettime
    clock_getres clock_nanosleep gettimeofday time nanosleep alarm setitimer getitimer timer_create timer_settime
    timer_gettime timer_delete timer_getoverrun getrandom kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo rt_sigpending
    rt_sigtimedwait pause wait4 waitid futex get_robust_list mincore msync membarrier
    getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr setxattr lsetxattr fsetxattr removexattr lremovexattr
    fremovexattr sync_file_range readahead fadvise64 name_to_handle_at`.split(/\s+/).filter(Boolean);
  for (const n of names) assert.equal(kindOf(n), 'emulate', n);
});

test('blocking calls are marked', () => {
  for (const n of ['read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg', 'accept', 'accept4', 'connect', 'poll', 'ppoll', 'select',
    'pselect6', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'wait4', 'waitid', 'pause', 'rt_sigsuspend', 'rt_sigtimedwait',
    'nanosleep', 'clock_nanosleep', 'futex', 'flock', 'fcntl', 'sendto', 'sendmsg', 'write', 'writev', 'msgrcv']) {
    assert.equal(syscallDef(SYS[n as keyof typeof SYS])?.blocks, true, n);
  }
  assert.notEqual(syscallDef(SYS.getpid)?.blocks, true);
});

test('outputs only on emulate and execute entries; calling them on a zero context is safe or throws an Error', () => {
  for (const d of ALL_SYSCALLS) {
    if (d.kind === 'enosys' || d.kind === 'unsupported') assert.equal(d.outputs, undefined, d.name);
  }
  const ctx = { args: [0n, 0n, 0n, 0n, 0n, 0n], result: 0n, readMem: (): Uint8Array => { throw new Error('read'); } };
  for (const d of ALL_SYSCALLS) {
    for (const r of d.outputs ?? []) {
      try {
        const regions = r(ctx);
        for (const g of regions) assert.ok(typeof g.addr === 'bigint' && Number.isInteger(g.len) && g.len >= 0, d.name);
      } catch (e) {
        assert.ok(e instanceof Error, d.name);
      }
    }
  }
});

test('spot checks of output sizes', () => {
  const z = { args: [0n, 0x1000n, 0x2000n, 0x3000n, 0x4000n, 0n], result: 0n, readMem: (): Uint8Array => new Uint8Array(0) };
  const lens = (name: keyof typeof SYS): number[] => (syscallDef(SYS[name])!.outputs ?? []).flatMap((r) => r(z)).map((g) => g.len);
  assert.deepEqual(lens('fstat'), [144]);
  assert.deepEqual(lens('statx'), [256]);
  assert.deepEqual(lens('uname'), [390]);
  assert.deepEqual(lens('clock_gettime'), [16]);
  assert.deepEqual(lens('wait4'), [4, 144]);
  assert.deepEqual(lens('waitid'), [128, 144]);
  assert.deepEqual(lens('pipe2'), [8]);
  assert.deepEqual(lens('sigaltstack'), [24]);
  const sa = { ...z, args: [10n, 0n, 0x2000n, 8n, 0n, 0n] };
  assert.deepEqual(syscallDef(SYS.rt_sigaction)!.outputs![0]!(sa), [{ addr: 0x2000n, len: 32 }]);
  assert.deepEqual(syscallDef(SYS.rt_sigprocmask)!.outputs![0]!(sa), [{ addr: 0x2000n, len: 8 }]);
});

test('fd-table changes, write-like and kernel-copy rules (what echo, shared files and data checks follow)', () => {
  const fds = (name: string, args: number[], result: number) =>
    syscallDef(syscallNumber(name)!)!.fds?.(args.map((a) => BigInt(a)), BigInt(result)) ?? null;
  assert.deepEqual(fds('dup', [1], 5), { copy: 1, to: 5 });
  assert.equal(fds('dup2', [1, 1], 1), null, 'dup2 onto itself changes nothing');
  assert.deepEqual(fds('dup3', [2, 7, 0], 7), { copy: 2, to: 7 });
  assert.deepEqual(fds('fcntl', [1, F_DUPFD_CLOEXEC, 10], 10), { copy: 1, to: 10 });
  assert.deepEqual(fds('fcntl', [2, F_DUPFD, 0], 3), { copy: 2, to: 3 });
  assert.equal(fds('fcntl', [1, F_GETFL, 0], 2), null);
  assert.deepEqual(fds('close', [0xffffffff], 0), { close: -1 }, 'an fd is an int');
  assert.deepEqual(fds('close_range', [3, 0xffffffff, 0], 0), { closeFrom: 3, closeTo: 0xffffffff });
  assert.equal(fds('close_range', [3, 10, CLOSE_RANGE_CLOEXEC], 0), null, 'CLOSE_RANGE_CLOEXEC closes nothing');
  assert.equal(fds('read', [0], 1), null);
  // fds received from elsewhere: the recorder looks at each through /proc/TID/fd
  assert.deepEqual(fds('pidfd_getfd', [3, 1, 0], 6), { received: 6 });
  assert.deepEqual(fds('recvmsg', [4, 0x1000, 0], 1), { rightsIn: 0x1000n, count: 1 });
  assert.deepEqual(fds('recvmmsg', [4, 0x2000, 8, 0, 0], 3), { rightsIn: 0x2000n, count: 3 }, 'one control buffer per message received');
  // Re-emitted at replay: only writes at the fd's position, whose bytes replay reads from memory.
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.writes?.echo).map((d) => d.name), ['write', 'writev']);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.writes).map((d) => d.name).sort(),
    ['pwrite64', 'pwritev', 'pwritev2', 'sendmsg', 'sendto', 'write', 'writev']);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.copies).map((d) => d.name).sort(), ['copy_file_range', 'sendfile', 'splice', 'tee']);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.noReturn).map((d) => [d.name, d.noReturn]), [['exit', 'task'], ['exit_group', 'process']]);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.setsClearTid !== undefined).map((d) => [d.name, d.setsClearTid]), [['set_tid_address', 0]]);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.waitsForSignal).map((d) => d.name), ['rt_sigsuspend']);
  assert.deepEqual(ALL_SYSCALLS.filter((d) => d.yields).map((d) => d.name), ['sched_yield']);
  for (const d of ALL_SYSCALLS) {
    // Replay emulates what these rules describe; code changes come from calls it runs again.
    if (d.writes || d.copies || d.fds || d.sizes) assert.equal(d.kind, 'emulate', d.name);
    if (d.changesCode) assert.equal(d.kind, 'execute', d.name);
    // Read by replay only for the calls it runs for real.
    if (d.setsClearTid !== undefined || d.waitsForSignal || d.noReturn) assert.equal(d.kind, 'execute', d.name);
    if (d.writes?.echo) assert.equal(d.writes.offset, undefined, `${d.name}: an echoed write is at the fd's position`);
  }
});
