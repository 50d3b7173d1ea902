// Processes, credentials, scheduling and resource limits (getpid(2), setuid(2), wait4(2),
// sched_getaffinity(2), prlimit(2), prctl(2), execve(2)…).

import { shapesAddressSpace } from '../rlimit.js';
import { Struct } from '../structs.js';
import { BLOCKS, emulate, enosys, execute, unsupported } from './define.js';
import { fixed, resultBytes, sizeFromArg, u32, u64 } from './outputs.js';
import { archPrctlOut, capgetOut, getgroupsOut, prctlOut } from './outputs-cmd.js';
import { cloneRefusal, prctlInstallsFilter, prctlRefusal, seccompOut, seccompRefusal, unshareRefusal } from './sandboxing.js';
import type { ExecuteCtx, SyscallDef } from './types.js';

const RL = Struct.rlimit.size;
const LIMITS_NOTE = 'run again at replay when it changed RLIMIT_STACK, RLIMIT_AS, RLIMIT_DATA or RLIMIT_MEMLOCK of a recorded process (they shape its address space); other limits are only recorded';
/** setrlimit(resource, new) that succeeded on a limit that shapes the address space. */
const setsAddressSpaceLimit = (c: ExecuteCtx): boolean => c.result === 0n && shapesAddressSpace(BigInt.asUintN(32, c.args[0]!));
/** prlimit64(pid, resource, new, old) that succeeded in setting such a limit of a recorded process. */
const prlimitSetsAddressSpaceLimit = (c: ExecuteCtx): boolean => {
  const pid = BigInt.asIntN(32, c.args[0]!);
  return c.result === 0n && c.args[2] !== 0n && shapesAddressSpace(BigInt.asUintN(32, c.args[1]!)) && (pid === 0n || c.isRecorded(pid));
};
const SCHED_NOTE = 'answered by the recorder from what the program asked for (its tasks stay on rewind\'s CPU at normal priority)';

export const PROCESS: readonly SyscallDef[] = [
  execute('execve', [], { note: 'runs again at replay to rebuild the address space' }),
  execute('execveat', [], { note: 'runs again at replay to rebuild the address space' }),
  execute('exit', [], { noReturn: 'task' }),
  execute('exit_group', [], { noReturn: 'process' }),
  execute('arch_prctl', [archPrctlOut()]), // fs/gs base; ARCH_SET_CPUID stops recording
  execute('set_tid_address', [], { keepsRecordedResult: true, setsClearTid: 0 }), // returns the caller's tid: the recorded one
  execute('set_robust_list'),
  emulate('get_robust_list', [u64(1), u64(2)]),
  execute('fork', [], { note: 'creates the task at replay too; replay hands back the recorded pid' }),
  execute('vfork', [], { blocks: true, note: 'the parent waits in the kernel while the child runs' }),
  execute('clone', [], {
    note: 'creates the task at replay too; the recorded tid replaces the real one in memory; of new namespaces only CLONE_NEWUSER and CLONE_NEWNS',
    refuse: cloneRefusal,
  }),
  enosys('clone3', 'glibc falls back to clone'),
  unsupported('ptrace', 'the tracee cannot trace others while rewind traces it'),
  execute('seccomp', [seccompOut()], {
    note: 'the program\'s own filter is installed at replay too (what it answers never reaches rewind, or comes as the same signal); '
      + 'strict mode and SECCOMP_FILTER_FLAG_NEW_LISTENER stop recording',
    refuse: seccompRefusal,
  }),
  execute('unshare', [], {
    note: 'user and mount namespaces (and CLONE_FS, CLONE_FILES, CLONE_SYSVSEM) are made at replay too; other namespaces stop recording',
    refuse: unshareRefusal,
  }),
  unsupported('setns', 'namespaces are not supported'),
  emulate('wait4', [u32(1), fixed(3, Struct.rusage.size)], BLOCKS), // status, rusage
  emulate('waitid', [fixed(2, Struct.siginfo.size), fixed(4, Struct.rusage.size)], BLOCKS),
  emulate('getpid'),
  emulate('getppid'),
  emulate('gettid'),
  emulate('getuid'),
  emulate('geteuid'),
  emulate('getgid'),
  emulate('getegid'),
  emulate('getgroups', [getgroupsOut()]),
  emulate('setgroups'),
  emulate('setuid'),
  emulate('setgid'),
  emulate('setreuid'),
  emulate('setregid'),
  emulate('setresuid'),
  emulate('setresgid'),
  emulate('getresuid', [u32(0), u32(1), u32(2)]),
  emulate('getresgid', [u32(0), u32(1), u32(2)]),
  emulate('setfsuid'),
  emulate('setfsgid'),
  emulate('getpgrp'),
  emulate('getpgid'),
  emulate('setpgid'),
  emulate('getsid'),
  emulate('setsid'),
  emulate('capget', [capgetOut()]),
  emulate('capset'),
  emulate('prctl', [prctlOut()], {
    note: 'outputs decoded by option; PR_SET_SECCOMP with a filter runs again at replay; PR_GET_SECCOMP and PR_GET_NO_NEW_PRIVS '
      + 'are answered for the program (not rewind\'s filter); strict seccomp, PR_SET_TSC, PR_SET_MM stop recording',
    refuse: prctlRefusal,
    executesIf: (c) => prctlInstallsFilter(c.args),
  }),
  emulate('personality', [], { note: 'replay does not change the persona (rewind already disables ASLR)' }),
  emulate('getpriority', [], { note: SCHED_NOTE }),
  emulate('setpriority', [], { note: SCHED_NOTE }),
  emulate('ioprio_get'),
  emulate('ioprio_set'),
  emulate('sched_yield', [], { yields: true }),
  emulate('sched_getaffinity', [resultBytes(2)], { note: SCHED_NOTE }), // result = bytes of the mask written
  emulate('sched_setaffinity', [], { note: SCHED_NOTE }),
  emulate('sched_getparam', [fixed(1, Struct.sched_param.size)], { note: SCHED_NOTE }),
  emulate('sched_setparam', [], { note: SCHED_NOTE }),
  emulate('sched_getscheduler', [], { note: SCHED_NOTE }),
  emulate('sched_setscheduler', [], { note: SCHED_NOTE }),
  emulate('sched_get_priority_max'),
  emulate('sched_get_priority_min'),
  emulate('sched_rr_get_interval', [fixed(1, Struct.timespec.size)]),
  emulate('sched_getattr', [sizeFromArg(1, 2)]),
  emulate('sched_setattr'),
  emulate('getcpu', [u32(0), u32(1)], { note: SCHED_NOTE }),
  emulate('getrlimit', [fixed(1, RL)]),
  emulate('setrlimit', [], { executesIf: setsAddressSpaceLimit, note: LIMITS_NOTE }),
  emulate('prlimit64', [fixed(3, RL)], { executesIf: prlimitSetsAddressSpaceLimit, pidArg: 0, note: LIMITS_NOTE }), // old limit
  emulate('getrusage', [fixed(1, Struct.rusage.size)]),
  emulate('kcmp'),
  emulate('pidfd_open'),
  emulate('pidfd_getfd', [], { fds: (_a, r) => ({ received: Number(r) }) }), // may be rewind's stdout/stderr
];
