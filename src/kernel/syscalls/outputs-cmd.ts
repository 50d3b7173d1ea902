// Output rules for multiplexed syscalls whose memory effect depends on a command argument:
// fcntl, prctl, arch_prctl, semctl, msgctl, syslog, capget, and a few newer calls with self-sized
// buffers. A command that may write memory rewind cannot size makes the rule throw; the recorder turns
// the Error into a clean "unsupported" stop naming the command. (ioctl is in outputs-ioctl.ts.)

import { Struct } from '../structs.js';
import type { Region, SyscallCtx } from './types.js';
import { argInt, argSize, argU64, readU32, resultNum, rule, view, type Rule } from './outputs.js';

const hex = (n: number): string => `0x${n.toString(16)}`;
const at = (c: SyscallCtx, arg: number, len: number): Region[] => [{ addr: argU64(c, arg), len }];

// fcntl(fd, cmd, arg) -------------------------------------------------------------------------------
const F_GETLK = 5, F_GETOWN_EX = 16, F_OFD_GETLK = 36, F_GET_RW_HINT = 1035, F_GET_FILE_RW_HINT = 1037;
/** fcntl commands that write nothing to memory (include/uapi/asm-generic/fcntl.h, linux/fcntl.h). */
const FCNTL_NO_OUTPUT = new Set([
  0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 15, 37, 38, // F_DUPFD…F_GETSIG, F_SETOWN_EX, F_OFD_SETLK(W)
  1024, 1025, 1026, 1027, 1028, 1029, 1030, 1031, 1032, 1033, 1034, 1036, 1038, // leases … seals, set hints
]);
export function fcntlOut(): Rule {
  return rule('by command: F_GETLK/F_OFD_GETLK flock, F_GETOWN_EX, F_GET_RW_HINT', (c) => {
    const cmd = argInt(c, 1);
    if (cmd === F_GETLK || cmd === F_OFD_GETLK) return at(c, 2, Struct.flock.size);
    if (cmd === F_GETOWN_EX) return at(c, 2, Struct.f_owner_ex.size);
    if (cmd === F_GET_RW_HINT || cmd === F_GET_FILE_RW_HINT) return at(c, 2, 8);
    if (FCNTL_NO_OUTPUT.has(cmd)) return [];
    throw new Error(`unsupported fcntl command ${hex(cmd)}`);
  });
}

// futex(uaddr, op, val, timeout/val2, uaddr2, val3) -------------------------------------------------
// The futex words the kernel itself writes (include/uapi/linux/futex.h): FUTEX_WAKE_OP's operation on
// uaddr2; the PI operations set the owner's tid and FUTEX_WAITERS in uaddr (and, requeueing, uaddr2).
const FUTEX_CMD_MASK = ~(128 | 256); // FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
const FUTEX_WAKE_OP = 5, FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_CMP_REQUEUE_PI = 12;
const FUTEX_PI_OWN_WORD = new Set([6, 7, 8, 13]); // LOCK_PI, UNLOCK_PI, TRYLOCK_PI, LOCK_PI2
export function futexOut(): Rule {
  return rule('by operation: FUTEX_WAKE_OP uaddr2, PI operations uaddr (and uaddr2 when requeueing)', (c) => {
    const cmd = argInt(c, 1) & FUTEX_CMD_MASK;
    if (cmd === FUTEX_WAKE_OP) return at(c, 4, 4);
    if (FUTEX_PI_OWN_WORD.has(cmd)) return at(c, 0, 4);
    if (cmd === FUTEX_WAIT_REQUEUE_PI || cmd === FUTEX_CMP_REQUEUE_PI) return [...at(c, 0, 4), ...at(c, 4, 4)];
    return [];
  });
}

// prctl(option, arg2, arg3, arg4, arg5): args[1] is arg2 -------------------------------------------
/** Options whose int result or nothing is all they produce. */
const PRCTL_NO_OUTPUT = new Set([
  1, 3, 4, 6, 7, 8, 10, 12, 13, 14, 15, 20, 21, 23, 24, 27, 28, 29, 30, 31, 32, 33, 34, 36, 38, 39, 41, 42,
  45, 46, 47, 52, 53, 55, 56, 57, 58, 65, 66, 67, 68, 75, 76, 77, 78,
  0x53564d41, // PR_SET_VMA
  0x59616d61, // PR_SET_PTRACER
]);
/** Options that write an int at arg2. */
const PRCTL_INT_AT_ARG2 = new Set([2, 5, 9, 11, 19, 25, 37]); // PDEATHSIG UNALIGN FPEMU FPEXC ENDIAN TSC CHILD_SUBREAPER
const PR_GET_NAME = 16, PR_SET_SECCOMP = 22, PR_SET_TSC = 26, PR_SET_MM = 35, PR_GET_TID_ADDRESS = 40;
const PR_SET_SYSCALL_USER_DISPATCH = 59, PR_SCHED_CORE = 62, PR_GET_SHADOW_STACK_STATUS = 74;
const PR_GET_AUXV = 0x41555856;
export function prctlOut(): Rule {
  return rule('by option: PR_GET_NAME 16 bytes, int or u64 getters, PR_GET_AUXV', (c) => {
    const opt = argInt(c, 0);
    if (PRCTL_NO_OUTPUT.has(opt)) return [];
    if (PRCTL_INT_AT_ARG2.has(opt)) return at(c, 1, 4);
    if (opt === PR_GET_NAME) return at(c, 1, 16);
    if (opt === PR_GET_TID_ADDRESS || opt === PR_GET_SHADOW_STACK_STATUS) return at(c, 1, 8);
    if (opt === PR_GET_AUXV) return at(c, 1, Math.min(resultNum(c), argSize(c, 2)));
    if (opt === PR_SCHED_CORE) return argInt(c, 1) === 0 ? at(c, 4, 8) : []; // PR_SCHED_CORE_GET: cookie at arg5
    if (opt === PR_SET_SECCOMP) return []; // a filter (strict mode is refused at entry)
    if (opt === PR_SET_TSC) throw new Error('unsupported prctl PR_SET_TSC: rewind traps rdtsc itself');
    if (opt === PR_SET_MM) throw new Error('unsupported prctl PR_SET_MM: rewriting the address-space layout');
    if (opt === PR_SET_SYSCALL_USER_DISPATCH) throw new Error('unsupported prctl PR_SET_SYSCALL_USER_DISPATCH');
    throw new Error(`unsupported prctl option ${hex(opt)}`);
  });
}

// arch_prctl(code, addr) ----------------------------------------------------------------------------
const ARCH_U64_GETTERS = new Set([0x1003, 0x1004, 0x1021, 0x1022, 0x1024, 0x4001, 0x4003, 0x5005]);
const ARCH_NO_OUTPUT = new Set([0x1001, 0x1002, 0x1011, 0x1023, 0x1025, 0x2001, 0x2002, 0x2003, 0x4002, 0x4004, 0x5001, 0x5002, 0x5003, 0x5004]);
const ARCH_SET_CPUID = 0x1012;
export function archPrctlOut(): Rule {
  return rule('ARCH_GET_FS/GS and other getters: u64 at arg1', (c) => {
    const code = argInt(c, 0);
    if (ARCH_U64_GETTERS.has(code)) return at(c, 1, 8);
    if (ARCH_NO_OUTPUT.has(code)) return [];
    if (code === ARCH_SET_CPUID) throw new Error('unsupported arch_prctl ARCH_SET_CPUID: rewind traps cpuid itself');
    throw new Error(`unsupported arch_prctl code ${hex(code)}`);
  });
}

// SysV IPC --------------------------------------------------------------------------------------------
const IPC_64 = 0x100;
export function semctlOut(): Rule {
  return rule('IPC_STAT/SEM_STAT semid_ds, IPC_INFO/SEM_INFO seminfo at arg3', (c) => {
    const cmd = argInt(c, 2) & ~IPC_64;
    if (cmd === 2 || cmd === 18 || cmd === 20) return at(c, 3, Struct.semid_ds.size);
    if (cmd === 3 || cmd === 19) return at(c, 3, Struct.seminfo.size);
    if (cmd === 13) throw new Error('unsupported semctl GETALL: the array size is not known');
    if ([0, 1, 11, 12, 14, 15, 16, 17].includes(cmd)) return [];
    throw new Error(`unsupported semctl command ${hex(cmd)}`);
  });
}
export function msgctlOut(): Rule {
  return rule('IPC_STAT/MSG_STAT msqid_ds, IPC_INFO/MSG_INFO msginfo at arg2', (c) => {
    const cmd = argInt(c, 1) & ~IPC_64;
    if (cmd === 2 || cmd === 11 || cmd === 13) return at(c, 2, Struct.msqid_ds.size);
    if (cmd === 3 || cmd === 12) return at(c, 2, Struct.msginfo.size);
    if (cmd === 0 || cmd === 1) return [];
    throw new Error(`unsupported msgctl command ${hex(cmd)}`);
  });
}
export function shmctlOut(): Rule {
  return rule('IPC_STAT/SHM_STAT/SHM_STAT_ANY shmid_ds, IPC_INFO shminfo, SHM_INFO shm_info at arg2', (c) => {
    const cmd = argInt(c, 1) & ~IPC_64;
    if (cmd === 2 || cmd === 13 || cmd === 15) return at(c, 2, Struct.shmid_ds.size);
    if (cmd === 3) return at(c, 2, Struct.shminfo.size);
    if (cmd === 14) return at(c, 2, Struct.shm_info.size);
    if (cmd === 0 || cmd === 1 || cmd === 11 || cmd === 12) return []; // IPC_RMID, IPC_SET, SHM_LOCK, SHM_UNLOCK
    throw new Error(`unsupported shmctl command ${hex(cmd)}`);
  });
}
/** msgrcv(id, msgp, msgsz, type, flags): the long mtype then `result` bytes of text. */
export function msgrcvOut(): Rule {
  return rule('arg1: 8 + result bytes', (c) => at(c, 1, 8 + resultNum(c)));
}

// misc ---------------------------------------------------------------------------------------------
/** syslog(type, buf, len): the READ actions (2, 3, 4) fill buf with `result` bytes. */
export function syslogOut(): Rule {
  return rule('arg1: result bytes for SYSLOG_ACTION_READ*', (c) => {
    const t = argInt(c, 0);
    return t === 2 || t === 3 || t === 4 ? at(c, 1, Math.min(resultNum(c), Math.max(0, argInt(c, 2)))) : [];
  });
}

/** capget(hdr, data): one __user_cap_data_struct for version 1, two for versions 2 and 3. */
export function capgetOut(): Rule {
  return rule('arg1: 12 or 24 bytes by header version', (c) => {
    const hdr = argU64(c, 0);
    if (hdr === 0n) return [];
    const version = readU32(c, hdr);
    const n = version === 0x19980330 ? 1 : 2;
    return at(c, 1, n * Struct.__user_cap_data_struct.size);
  });
}

/** name_to_handle_at(dfd, path, handle, mount_id, flags): handle header + handle_bytes, mount id. */
export function nameToHandleOut(): Rule {
  return rule('arg2: 8 + handle_bytes; arg3: 4 (8 with AT_HANDLE_MNT_ID_UNIQUE)', (c) => {
    const h = argU64(c, 2);
    const out: Region[] = at(c, 3, (argInt(c, 4) & 1) !== 0 ? 8 : 4);
    if (h !== 0n) out.push({ addr: h, len: Struct.file_handle.size + readU32(c, h) });
    return out;
  });
}

/** getxattrat(dfd, path, at_flags, name, args, size): the value buffer named by struct xattr_args. */
export function getxattratOut(): Rule {
  return rule('xattr_args.value: result bytes', (c) => {
    const a = argU64(c, 4);
    if (a === 0n) return [];
    const v = view(c.readMem(a, Struct.xattr_args.size));
    const size = v.getUint32(Struct.xattr_args.size_, true);
    if (size === 0) return [];
    return [{ addr: v.getBigUint64(Struct.xattr_args.value, true), len: Math.min(size, resultNum(c)) }];
  });
}

/** statmount(req, buf, bufsize, flags): struct statmount starts with its u32 size. */
export function statmountOut(): Rule {
  return rule('arg1: statmount.size bytes (at most arg2)', (c) => {
    const buf = argU64(c, 1);
    if (buf === 0n) return [];
    return [{ addr: buf, len: Math.min(readU32(c, buf), argSize(c, 2)) }];
  });
}

/** get_mempolicy(mode, nodemask, maxnode, addr, flags). */
export function getMempolicyOut(): Rule {
  return rule('arg0: 4; arg1: ceil(maxnode/64)*8', (c) => [
    ...at(c, 0, 4),
    ...at(c, 1, Math.ceil(argSize(c, 2) / 64) * 8),
  ]);
}

/** mincore(addr, len, vec): one byte per page. */
export function mincoreOut(): Rule {
  return rule('arg2: one byte per page of arg1', (c) => at(c, 2, Math.ceil(argSize(c, 1) / 4096)));
}

/** move_pages(pid, count, pages, nodes, status, flags): an int status per page. */
export function movePagesOut(): Rule {
  return rule('arg4: count × 4', (c) => at(c, 4, argSize(c, 1) * 4));
}

/** getgroups(size, list): `result` gids, but nothing when size is 0 (the call only counts). */
export function getgroupsOut(): Rule {
  return rule('arg1: result × 4 (if size > 0)', (c) => (argInt(c, 0) > 0 ? at(c, 1, resultNum(c) * 4) : []));
}
