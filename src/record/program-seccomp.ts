// Recording a program that installs seccomp filters of its own. The kernel runs every filter and the
// action of highest precedence wins, so what the program's filter answers with ERRNO, TRAP (SIGSYS),
// KILL or USER_NOTIF never reaches rewind's SECCOMP_RET_TRACE, at record and at replay alike, as long
// as the filter is installed at replay at the same point (seccomp and prctl(PR_SET_SECCOMP) run again
// there). What is left to the recorder, kept here per task:
// - a SECCOMP_RET_TRACE of the program's own filter reaches rewind as a seccomp stop with the program's
//   data; natively (no tracer) the kernel answers it with -ENOSYS, so rewind does the same;
// - rewind's launcher sets no_new_privs and installs a filter, so the kernel's answers to
//   PR_GET_NO_NEW_PRIVS and PR_GET_SECCOMP, and its check that an unprivileged filter needs
//   no_new_privs (EACCES otherwise), are given as they would be for the program alone — started as
//   rewind was: under the filters and no_new_privs rewind itself has (a container's seccomp profile).
// Filters and no_new_privs are inherited by clone/fork children and kept across execve.
import { readFileSync } from 'node:fs';
import { R, SYSCALL_ARG_REGS } from '../kernel/regs.js';
import {
  CAP_SYS_ADMIN, PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_NO_NEW_PRIVS, SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_MODE_FILTER, SECCOMP_RET_DATA,
  SECCOMP_SET_MODE_FILTER,
} from '../kernel/seccomp.js';
import { prctlInstallsFilter } from '../kernel/syscalls/sandboxing.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { LAUNCHER_SECCOMP_DATA } from '../tracee/spawn.js';
import type { Task } from '../tracee/task.js';
import type { SchedAnswer } from './sched-emulation.js';

const EACCES = 13n, EFAULT = 14n, EINVAL = 22n;
/** Every SECCOMP_FILTER_FLAG_* this kernel ABI knows; BPF_MAXINSNS; sizeof(struct sock_fprog). */
const KNOWN_FLAGS = 0x3fn, MAX_INSNS = 4096, FPROG_SIZE = 16;

/**
 * The error the kernel gives a filter installation from a task with neither no_new_privs nor
 * CAP_SYS_ADMIN: EACCES, unless a check it makes first fails (seccomp_set_mode_filter: the flags, then
 * copying the sock_fprog, then its length).
 */
function unprivilegedInstallError(task: Task, nr: number, args: readonly bigint[]): bigint {
  const flags = nr === SYS.seccomp ? BigInt.asUintN(32, args[1]!) : 0n;
  if ((flags & ~KNOWN_FLAGS) !== 0n) return -EINVAL;
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) !== 0n && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) === 0n) return -EINVAL;
  const fprog = task.readPartial(args[2]!, FPROG_SIZE); // seccomp's uargs, prctl's arg3
  if (fprog.length < FPROG_SIZE) return -EFAULT;
  const len = fprog[0]! | (fprog[1]! << 8);
  if (len === 0 || len > MAX_INSNS) return -EINVAL;
  return -EACCES;
}

/** Whether these are the arguments of a call installing a filter (seccomp or prctl). */
function installsFilter(nr: number, args: readonly bigint[]): boolean {
  if (nr === SYS.seccomp) return Number(BigInt.asIntN(32, args[0]!)) === SECCOMP_SET_MODE_FILTER;
  return nr === SYS.prctl && prctlInstallsFilter(args);
}

/** Whether the task has CAP_SYS_ADMIN in its own user namespace (its effective set, /proc/PID/status). */
function hasSysAdmin(task: Task): boolean {
  try {
    const line = readFileSync(`/proc/${task.tgid}/task/${task.tid}/status`, 'utf8').split('\n').find((l) => l.startsWith('CapEff:'));
    return line !== undefined && ((BigInt(`0x${line.slice(7).trim()}`) >> BigInt(CAP_SYS_ADMIN)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** rewind's own seccomp mode and no_new_privs (/proc/self/status), which the program would have inherited. */
function rewindsOwn(): { filter: boolean; noNewPrivs: boolean } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string): string => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '0';
    return { filter: field('Seccomp') !== '0', noNewPrivs: field('NoNewPrivs') === '1' };
  } catch {
    return { filter: false, noNewPrivs: false };
  }
}

export class ProgramSeccomp {
  /** Tasks with at least one filter of the program's own. */
  private readonly filtered = new Set<number>();
  /** Tasks in seccomp filter mode without rewind's launcher: a filter of their own, or one rewind runs under. */
  private readonly filterMode = new Set<number>();
  /** Tasks with no_new_privs without rewind's launcher (set by the program, or inherited from rewind). */
  private readonly noNewPrivs = new Set<number>();

  /** `first`: the program's first task, which starts with what rewind itself has. */
  constructor(first: number) {
    const own = rewindsOwn();
    if (own.filter) this.filterMode.add(first);
    if (own.noNewPrivs) this.noNewPrivs.add(first);
  }

  /** At a seccomp stop: whether it is the program's own filter that answered SECCOMP_RET_TRACE. */
  ownTrace(tid: number): boolean {
    if (!this.filtered.has(tid)) return false;
    return (Number(native.getEventMsg(tid)) & SECCOMP_RET_DATA) !== LAUNCHER_SECCOMP_DATA;
  }

  /** Whether the task runs under a filter of the program's own. */
  hasFilter(tid: number): boolean {
    return this.filtered.has(tid);
  }

  /** A call rewind answers as the kernel would for the program alone, or null: it runs. */
  answer(task: Task, nr: number, regs: BigUint64Array): SchedAnswer | null {
    if (nr !== SYS.prctl && nr !== SYS.seccomp) return null;
    const args = SYSCALL_ARG_REGS.map((r) => regs[r]!);
    if (nr === SYS.prctl) {
      const opt = Number(BigInt.asIntN(32, regs[R.rdi]!));
      if (opt === PR_GET_SECCOMP) return { result: this.filterMode.has(task.tid) ? BigInt(SECCOMP_MODE_FILTER) : 0n, writes: [] };
      if (opt === PR_GET_NO_NEW_PRIVS) return { result: this.noNewPrivs.has(task.tid) ? 1n : 0n, writes: [] };
    }
    if (installsFilter(nr, args) && !this.noNewPrivs.has(task.tid) && !hasSysAdmin(task)) {
      return { result: unprivilegedInstallError(task, nr, args), writes: [] };
    }
    return null;
  }

  /** After a call ran: notes a filter installed (on every thread of the process with TSYNC) or no_new_privs set. */
  after(tid: number, nr: number, args: readonly bigint[], result: bigint, threads: () => number[]): void {
    if (nr !== SYS.prctl && nr !== SYS.seccomp) return;
    if (nr === SYS.prctl && Number(BigInt.asIntN(32, args[0]!)) === PR_SET_NO_NEW_PRIVS && result === 0n) this.noNewPrivs.add(tid);
    if (!installsFilter(nr, args) || result !== 0n) return;
    const tsync = nr === SYS.seccomp && (args[1]! & SECCOMP_FILTER_FLAG_TSYNC) !== 0n;
    for (const t of tsync ? threads() : [tid]) {
      this.filtered.add(t);
      this.filterMode.add(t);
    }
  }

  /** A new task (thread or process) inherits its creator's filters and no_new_privs. */
  created(parent: number, child: number): void {
    for (const set of [this.filtered, this.filterMode, this.noNewPrivs]) if (set.has(parent)) set.add(child);
  }

  /** execve keeps both; the exec'ing thread may take over its leader's tid. */
  execed(formerTid: number, tid: number): void {
    if (formerTid === tid) return;
    for (const set of [this.filtered, this.filterMode, this.noNewPrivs]) {
      const had = set.delete(formerTid);
      set.delete(tid);
      if (had) set.add(tid);
    }
  }

  exited(tid: number): void {
    for (const set of [this.filtered, this.filterMode, this.noNewPrivs]) set.delete(tid);
  }
}
