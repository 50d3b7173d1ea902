// Checks the TS kernel facts against the C headers of this machine: a probe generated here is compiled
// with gcc and prints sizeof/offsetof of every struct in structs.ts, the __NR_ numbers, errno and signal
// values, siginfo offsets, user_regs_struct order and the legacy ioctl numbers the table decodes.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { E } from './errno.js';
import { PTRACE_GETFPREGS, PTRACE_PEEKUSER, PTRACE_POKEUSER, USER_DEBUGREG_OFFSET } from './ptrace.js';
import { REG_NAMES, REGS_COUNT, REGS_SIZE } from './regs.js';
import { RLIM_INFINITY, RLIMIT_NAMES } from './rlimit.js';
import * as sig from './signals.js';
import { Struct, type StructName } from './structs.js';
import { SYS, SYSCALLS_NEWER_THAN_HEADERS } from './syscall-names.js';
import { IOCTL_OUT, ioc } from './syscalls/outputs-ioctl.js';

interface Check {
  label: string;
  expr: string;
  expected: number;
  /** Only printed when this macro is defined (values missing from older headers). */
  guard?: string;
}
type GroupName = 'glibc' | 'ksignal' | 'ktermios' | 'linux' | 'schedattr';

const PRELUDES: Record<GroupName, string[]> = {
  glibc: [
    'sys/stat.h', 'sys/statfs.h', 'sys/time.h', 'time.h', 'sys/timex.h', 'sys/resource.h', 'sys/times.h', 'sys/utsname.h',
    'sys/sysinfo.h', 'signal.h', 'poll.h', 'sys/epoll.h', 'sys/socket.h', 'sys/un.h', 'sys/uio.h', 'sys/select.h',
    'sched.h', 'fcntl.h', 'sys/ptrace.h', 'sys/user.h', 'net/if.h', 'mqueue.h', 'sys/msg.h', 'sys/sem.h', 'sys/shm.h', 'dirent.h', 'sys/ioctl.h',
    'errno.h', 'sys/syscall.h', 'linux/capability.h', 'linux/futex.h', 'linux/openat2.h', 'linux/sockios.h',
  ],
  ksignal: ['asm/signal.h', 'asm/sigcontext.h', 'asm/ucontext.h'], // the kernel's struct sigaction (glibc's differs)
  ktermios: ['asm/termbits.h', 'asm/ioctls.h'], // the kernel's struct termios (glibc's is 60 bytes)
  linux: ['linux/fs.h', 'linux/kd.h', 'linux/vt.h', 'linux/serial.h'],
  schedattr: ['linux/sched/types.h'],
};

/** Where each struct of structs.ts is declared in C; null = not in these headers (checked by hand). */
const C_STRUCTS: Record<StructName, { group: GroupName; ctype: string } | null> = {
  stat: { group: 'glibc', ctype: 'struct stat' },
  statx: { group: 'glibc', ctype: 'struct statx' },
  statfs: { group: 'glibc', ctype: 'struct statfs' },
  timespec: { group: 'glibc', ctype: 'struct timespec' },
  timeval: { group: 'glibc', ctype: 'struct timeval' },
  timezone: { group: 'glibc', ctype: 'struct timezone' },
  itimerval: { group: 'glibc', ctype: 'struct itimerval' },
  itimerspec: { group: 'glibc', ctype: 'struct itimerspec' },
  timex: { group: 'glibc', ctype: 'struct timex' },
  rusage: { group: 'glibc', ctype: 'struct rusage' },
  tms: { group: 'glibc', ctype: 'struct tms' },
  utsname: { group: 'glibc', ctype: 'struct utsname' },
  sysinfo: { group: 'glibc', ctype: 'struct sysinfo' },
  rlimit: { group: 'glibc', ctype: 'struct rlimit' },
  sigaction: { group: 'ksignal', ctype: 'struct sigaction' },
  sigcontext: { group: 'ksignal', ctype: 'struct sigcontext' },
  ucontext: { group: 'ksignal', ctype: 'struct ucontext' },
  stack_t: { group: 'glibc', ctype: 'stack_t' },
  siginfo: { group: 'glibc', ctype: 'siginfo_t' },
  pollfd: { group: 'glibc', ctype: 'struct pollfd' },
  epoll_event: { group: 'glibc', ctype: 'struct epoll_event' },
  fd_set: { group: 'glibc', ctype: 'fd_set' },
  sockaddr_storage: { group: 'glibc', ctype: 'struct sockaddr_storage' },
  sockaddr_un: { group: 'glibc', ctype: 'struct sockaddr_un' },
  iovec: { group: 'glibc', ctype: 'struct iovec' },
  msghdr: { group: 'glibc', ctype: 'struct msghdr' },
  mmsghdr: { group: 'glibc', ctype: 'struct mmsghdr' },
  cmsghdr: { group: 'glibc', ctype: 'struct cmsghdr' },
  linux_dirent64: { group: 'glibc', ctype: 'struct dirent64' }, // same layout up to d_name
  termios: { group: 'ktermios', ctype: 'struct termios' },
  termios2: { group: 'ktermios', ctype: 'struct termios2' },
  termio: { group: 'glibc', ctype: 'struct termio' },
  winsize: { group: 'glibc', ctype: 'struct winsize' },
  serial_struct: { group: 'linux', ctype: 'struct serial_struct' },
  sched_param: { group: 'glibc', ctype: 'struct sched_param' },
  flock: { group: 'glibc', ctype: 'struct flock' },
  f_owner_ex: { group: 'glibc', ctype: 'struct f_owner_ex' },
  __user_cap_header_struct: { group: 'glibc', ctype: 'struct __user_cap_header_struct' },
  __user_cap_data_struct: { group: 'glibc', ctype: 'struct __user_cap_data_struct' },
  robust_list_head: { group: 'glibc', ctype: 'struct robust_list_head' },
  ifreq: { group: 'glibc', ctype: 'struct ifreq' },
  ifconf: { group: 'glibc', ctype: 'struct ifconf' },
  file_handle: { group: 'glibc', ctype: 'struct file_handle' },
  mq_attr: { group: 'glibc', ctype: 'struct mq_attr' },
  msqid_ds: { group: 'glibc', ctype: 'struct msqid_ds' },
  semid_ds: { group: 'glibc', ctype: 'struct semid_ds' },
  msginfo: { group: 'glibc', ctype: 'struct msginfo' },
  seminfo: { group: 'glibc', ctype: 'struct seminfo' },
  shmid_ds: { group: 'glibc', ctype: 'struct shmid_ds' },
  shminfo: { group: 'glibc', ctype: 'struct shminfo' },
  shm_info: { group: 'glibc', ctype: 'struct shm_info' },
  sched_attr: { group: 'schedattr', ctype: 'struct sched_attr' },
  ustat: null, // kernel-only (glibc dropped <ustat.h>): int, long, char[6], char[6] → 32
  cachestat: null, // Linux 6.5, newer than these headers: five __u64
  xattr_args: null, // Linux 6.13, newer than these headers: __aligned_u64 value; __u32 size; __u32 flags
  open_how: { group: 'glibc', ctype: 'struct open_how' },
  user_regs_struct: { group: 'glibc', ctype: 'struct user_regs_struct' },
};

function checksFor(): Map<GroupName, Check[]> {
  const groups = new Map<GroupName, Check[]>(Object.keys(PRELUDES).map((g) => [g as GroupName, []]));
  const add = (g: GroupName, c: Check): void => void groups.get(g)!.push(c);
  for (const [name, layout] of Object.entries(Struct) as [StructName, Record<string, number>][]) {
    const where = C_STRUCTS[name];
    if (!where) continue;
    for (const [field, value] of Object.entries(layout)) {
      const expr = field === 'size' ? `sizeof(${where.ctype})` : `offsetof(${where.ctype}, ${field})`;
      add(where.group, { label: `struct.${name}.${field}`, expr, expected: value });
    }
  }
  for (const [name, nr] of Object.entries(SYS)) add('glibc', { label: `nr.${name}`, expr: `__NR_${name}`, expected: nr, guard: `__NR_${name}` });
  for (const [name, n] of Object.entries(E)) add('glibc', { label: `errno.${name}`, expr: name, expected: n, guard: name });
  for (const [name, n] of Object.entries(sig.SIG)) add('glibc', { label: `sig.${name}`, expr: name, expected: n });
  add('glibc', { label: 'sig.SIGRTMIN', expr: 'SIGRTMIN', expected: sig.SIGRTMIN });
  add('glibc', { label: 'sig.SIGRTMAX', expr: 'SIGRTMAX', expected: sig.SIGRTMAX });
  const consts: [string, number][] = [
    ['SI_USER', sig.SI_USER], ['SI_KERNEL', sig.SI_KERNEL], ['SI_QUEUE', sig.SI_QUEUE], ['SI_TIMER', sig.SI_TIMER],
    ['SI_MESGQ', sig.SI_MESGQ], ['SI_ASYNCIO', sig.SI_ASYNCIO], ['SI_SIGIO', sig.SI_SIGIO], ['SI_TKILL', sig.SI_TKILL],
    ['SEGV_MAPERR', sig.SEGV_MAPERR], ['SEGV_ACCERR', sig.SEGV_ACCERR], ['TRAP_BRKPT', sig.TRAP_BRKPT],
    ['TRAP_TRACE', sig.TRAP_TRACE], ['TRAP_BRANCH', sig.TRAP_BRANCH], ['TRAP_HWBKPT', sig.TRAP_HWBKPT],
    ['CLD_EXITED', sig.CLD_EXITED], ['CLD_KILLED', sig.CLD_KILLED], ['CLD_DUMPED', sig.CLD_DUMPED],
    ['CLD_TRAPPED', sig.CLD_TRAPPED], ['CLD_STOPPED', sig.CLD_STOPPED], ['CLD_CONTINUED', sig.CLD_CONTINUED],
    ['SIG_BLOCK', sig.SIG_BLOCK], ['SIG_UNBLOCK', sig.SIG_UNBLOCK], ['SIG_SETMASK', sig.SIG_SETMASK],
  ];
  for (const [name, v] of consts) add('glibc', { label: `const.${name}`, expr: name, expected: v });
  for (const [n, name] of Object.entries(RLIMIT_NAMES)) add('glibc', { label: `const.${name}`, expr: name, expected: Number(n) });
  add('glibc', { label: 'const.RLIM_INFINITY_low32', expr: '(unsigned)(RLIM_INFINITY & 0xffffffffu)', expected: Number(RLIM_INFINITY & 0xffffffffn) });
  add('glibc', { label: 'const.RLIM_INFINITY_high32', expr: '(unsigned)(RLIM_INFINITY >> 32)', expected: Number(RLIM_INFINITY >> 32n) });
  for (const [field, off] of Object.entries(sig.SIGINFO)) {
    if (field === 'size') continue;
    // glibc spells the union members as macros (si_pid → _sifields._kill.si_pid); the first three are plain
    add('glibc', { label: `siginfo.${field}`, expr: `offsetof(siginfo_t, ${field})`, expected: off });
  }
  REG_NAMES.forEach((r, i) => add('glibc', { label: `reg.${r}`, expr: `offsetof(struct user_regs_struct, ${r})`, expected: i * 8 }));
  add('glibc', { label: 'reg.size', expr: 'sizeof(struct user_regs_struct)', expected: REGS_SIZE });
  add('glibc', { label: 'reg.u_debugreg', expr: 'offsetof(struct user, u_debugreg)', expected: USER_DEBUGREG_OFFSET });
  add('glibc', { label: 'const.PTRACE_PEEKUSER', expr: 'PTRACE_PEEKUSER', expected: PTRACE_PEEKUSER });
  add('glibc', { label: 'const.PTRACE_POKEUSER', expr: 'PTRACE_POKEUSER', expected: PTRACE_POKEUSER });
  add('glibc', { label: 'const.PTRACE_GETFPREGS', expr: 'PTRACE_GETFPREGS', expected: PTRACE_GETFPREGS });
  const ioctls: [GroupName, string, number][] = [
    ['ktermios', 'TCGETS', 0x5401], ['ktermios', 'TCSETS', 0x5402], ['ktermios', 'TCSETSW', 0x5403],
    ['ktermios', 'TCSETSF', 0x5404], ['ktermios', 'TCGETA', 0x5405], ['ktermios', 'TIOCGPGRP', 0x540f],
    ['ktermios', 'TIOCSPGRP', 0x5410], ['ktermios', 'TIOCOUTQ', 0x5411], ['ktermios', 'TIOCGWINSZ', 0x5413],
    ['ktermios', 'TIOCSWINSZ', 0x5414], ['ktermios', 'TIOCMGET', 0x5415], ['ktermios', 'FIONREAD', 0x541b],
    ['ktermios', 'TIOCGSERIAL', 0x541e], ['ktermios', 'FIONBIO', 0x5421], ['ktermios', 'TIOCGETD', 0x5424],
    ['ktermios', 'TIOCGSID', 0x5429], ['ktermios', 'TIOCVHANGUP', 0x5437], ['ktermios', 'TIOCGPTPEER', 0x5441],
    ['ktermios', 'FIONCLEX', 0x5450], ['ktermios', 'FIOCLEX', 0x5451], ['ktermios', 'FIOASYNC', 0x5452],
    ['ktermios', 'TIOCGLCKTRMIOS', 0x5456], ['ktermios', 'TIOCMIWAIT', 0x545c], ['ktermios', 'FIOQSIZE', 0x5460],
    ['ktermios', 'TCGETS2', ioc(2, 0x54, 0x2a, Struct.termios2.size)], ['ktermios', 'TIOCGPTN', ioc(2, 0x54, 0x30, 4)],
    ['glibc', 'SIOCGIFCONF', 0x8912], ['glibc', 'SIOCGIFFLAGS', 0x8913], ['glibc', 'SIOCGIFINDEX', 0x8933],
    ['glibc', 'SIOCGIFHWADDR', 0x8927], ['glibc', 'SIOCATMARK', 0x8905], ['glibc', 'SIOCGSTAMP_OLD', 0x8906],
    ['linux', 'BLKGETSIZE', 0x1260], ['linux', 'BLKSSZGET', 0x1268], ['linux', 'BLKROGET', 0x125e],
    ['linux', 'FIBMAP', 1], ['linux', 'FIGETBSZ', 2], ['linux', 'KDGKBTYPE', 0x4b33], ['linux', 'VT_GETSTATE', 0x5603],
  ];
  for (const [g, name, v] of ioctls) add(g, { label: `ioctl.${name}`, expr: name, expected: v });
  return groups;
}

function cSource(group: GroupName, checks: Check[]): string {
  const lines = ['#define _GNU_SOURCE', ...PRELUDES[group].map((h) => `#include <${h}>`), '#include <stdio.h>', '#include <stddef.h>', 'int main(void) {'];
  for (const c of checks) {
    const p = `  printf("%s %lld\\n", "${c.label}", (long long)(${c.expr}));`;
    lines.push(...(c.guard ? [`#ifdef ${c.guard}`, p, '#endif'] : [p]));
  }
  lines.push('  return 0;', '}', '');
  return lines.join('\n');
}

let dir = '';
let hasGcc = true;
try {
  execFileSync('gcc', ['--version'], { stdio: 'ignore' });
} catch {
  hasGcc = false;
}
const results = new Map<string, number>();
const groups = checksFor();

before(() => {
  if (!hasGcc) return;
  dir = mkdtempSync(join(tmpdir(), 'rewind-kernel-abi-'));
  for (const [g, checks] of groups) {
    const src = join(dir, `${g}.c`);
    const exe = join(dir, g);
    writeFileSync(src, cSource(g, checks));
    execFileSync('gcc', ['-w', '-o', exe, src]);
    for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
      const [label, value] = line.split(' ');
      results.set(label!, Number(value));
    }
  }
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function checkGroupLabels(prefix: string, required: (c: Check) => boolean): void {
  assert.ok(results.size > 600, `probe printed ${results.size} values`);
  const wrong: string[] = [];
  for (const checks of groups.values()) {
    for (const c of checks) {
      if (!c.label.startsWith(prefix)) continue;
      const got = results.get(c.label);
      if (got === undefined) {
        if (required(c)) wrong.push(`${c.label}: not defined in the headers`);
      } else if (got !== c.expected) wrong.push(`${c.label}: C says ${got}, TS says ${c.expected}`);
    }
  }
  assert.deepEqual(wrong, []);
}

const skip = hasGcc ? false : 'gcc not found';

test('struct sizes and offsets match the C headers', { skip }, () => checkGroupLabels('struct.', () => true));
test('user_regs_struct order matches', { skip }, () => {
  assert.equal(REGS_COUNT, REG_NAMES.length);
  checkGroupLabels('reg.', () => true);
});
test('siginfo offsets, signal numbers and si_codes match', { skip }, () => {
  checkGroupLabels('siginfo.', () => true);
  checkGroupLabels('sig.', () => true);
  checkGroupLabels('const.', () => true);
});
test('errno values match', { skip }, () => checkGroupLabels('errno.', () => true));
test('legacy ioctl numbers the table decodes match', { skip }, () => {
  checkGroupLabels('ioctl.', () => true);
  for (const c of groups.get('ktermios')!) {
    if (c.label.startsWith('ioctl.') && c.expected < 0x10000) assert.ok(IOCTL_OUT.has(c.expected), `${c.label} is in IOCTL_OUT`);
  }
});
test('syscall numbers match __NR_ values; every header syscall is known', { skip }, () => {
  const newer = new Set<string>(SYSCALLS_NEWER_THAN_HEADERS);
  checkGroupLabels('nr.', (c) => !newer.has(c.label.slice(3)));
  const defs = execFileSync('gcc', ['-dM', '-E', '-x', 'c', '-'], { input: '#include <sys/syscall.h>\n', encoding: 'utf8' });
  const missing: string[] = [];
  for (const m of defs.matchAll(/^#define __NR_(\w+) (\d+)$/gm)) {
    if (!(m[1]! in SYS)) missing.push(m[1]!);
  }
  assert.deepEqual(missing, []);
});
