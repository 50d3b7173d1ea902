// Recording: the program's own scheduling requests, answered by rewind. rewind runs every task on one
// CPU, one at a time, at normal priority; a program that pins its threads to other CPUs, asks which CPU
// it runs on, or makes a thread SCHED_IDLE or nice 19 must not undo that (a SCHED_IDLE thread on a busy
// CPU barely runs, and recording waits for it). So these calls never reach the kernel: rewind checks
// them as the kernel would, remembers per task what the program asked for (inherited by new tasks) and
// answers the matching queries from that. The answers are ordinary emulated syscall events, so replay
// needs nothing special.
import { readdirSync, readFileSync } from 'node:fs';
import { E } from '../kernel/errno.js';
import { SYSCALL_ARG_REGS } from '../kernel/regs.js';
import {
  NICE_MAX, NICE_MIN, PRIO_PROCESS, RT_PRIO_MAX, SCHED_BATCH, SCHED_FIFO, SCHED_IDLE, SCHED_OTHER, SCHED_RESET_ON_FORK, SCHED_RR,
} from '../kernel/sched.js';
import { SYS } from '../kernel/syscall-names.js';
import type { MemWrite } from '../trace/events.js';
import type { Task } from '../tracee/task.js';

/** What the program asked for one task. */
interface TaskSched {
  mask: bigint;
  policy: number;
  rtPriority: number;
  nice: number;
  resetOnFork: boolean;
}

export interface SchedAnswer {
  result: bigint;
  writes: MemWrite[];
}

const HANDLED = new Set<number>([
  SYS.sched_setaffinity, SYS.sched_getaffinity, SYS.getcpu, SYS.sched_setscheduler, SYS.sched_getscheduler,
  SYS.sched_setparam, SYS.sched_getparam, SYS.setpriority, SYS.getpriority,
]);

/** Number of CPU ids the kernel may use (nr_cpu_ids), from /sys/devices/system/cpu/possible. */
function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let max = 0;
    for (const part of text.split(',')) max = Math.max(max, ...part.split('-').map(Number));
    return max + 1;
  } catch {
    return 64;
  }
}

function lowestCpu(mask: bigint): number {
  for (let i = 0; i < 1024; i++) if ((mask >> BigInt(i)) & 1n) return i;
  return 0;
}

function bytesOfMask(mask: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Number((mask >> BigInt(8 * i)) & 0xffn);
  return out;
}

function maskOfBytes(b: Uint8Array): bigint {
  let m = 0n;
  for (let i = b.length - 1; i >= 0; i--) m = (m << 8n) | BigInt(b[i]!);
  return m;
}

function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

const fail = (errno: number): SchedAnswer => ({ result: BigInt(-errno), writes: [] });
const ok = (result = 0n, writes: MemWrite[] = []): SchedAnswer => ({ result, writes });

export class SchedEmulation {
  private readonly byTid = new Map<number, TaskSched>();
  private readonly nrCpuIds = possibleCpus();
  private readonly privileged = process.geteuid?.() === 0;

  /**
   * @param startMask the CPUs the program may use (rewind's own set before it pinned itself)
   * @param pinned the CPU set rewind runs every task on (one CPU)
   */
  constructor(private readonly startMask: bigint, pinned: bigint) {
    this.cpu = lowestCpu(pinned);
  }

  private readonly cpu: number;

  static handles(nr: number): boolean {
    return HANDLED.has(nr);
  }

  private of(tid: number): TaskSched {
    let s = this.byTid.get(tid);
    if (!s) {
      s = { mask: this.startMask, policy: SCHED_OTHER, rtPriority: 0, nice: 0, resetOnFork: false };
      this.byTid.set(tid, s);
    }
    return s;
  }

  /** A new task starts with its creator's settings (SCHED_RESET_ON_FORK resets policy and negative nice). */
  created(parent: number, child: number): void {
    const p = { ...this.of(parent) };
    if (p.resetOnFork) {
      if (p.policy === SCHED_FIFO || p.policy === SCHED_RR) { p.policy = SCHED_OTHER; p.rtPriority = 0; }
      if (p.nice < 0) p.nice = 0;
      p.resetOnFork = false;
    }
    this.byTid.set(child, p);
  }

  exited(tid: number): void {
    this.byTid.delete(tid);
  }

  /**
   * The answer to the task's syscall at its entry, or null to let it run as usual (not one of these
   * calls, or aimed at a process that is not recorded).
   */
  answer(task: Task, nr: number, regs: BigUint64Array, isOurs: (tid: number) => boolean): SchedAnswer | null {
    if (!HANDLED.has(nr)) return null;
    const a = SYSCALL_ARG_REGS.map((r) => regs[r]!);
    const who = Number(BigInt.asIntN(32, a[nr === SYS.setpriority || nr === SYS.getpriority ? 1 : 0]!));
    if (nr === SYS.setpriority || nr === SYS.getpriority) {
      if (Number(BigInt.asIntN(32, a[0]!)) !== PRIO_PROCESS) return null; // process groups, users: as usual
    }
    if (nr !== SYS.getcpu) {
      if (who < 0) return fail(nr === SYS.setpriority || nr === SYS.getpriority ? E.ESRCH : E.EINVAL);
      if (who !== 0 && !isOurs(who)) return null;
    }
    const s = this.of(nr === SYS.getcpu || who === 0 ? task.tid : who);
    try {
      return this.answerFor(task, nr, a, s);
    } catch {
      return fail(E.EFAULT); // a pointer the program passed does not point at its memory
    }
  }

  private answerFor(task: Task, nr: number, a: bigint[], s: TaskSched): SchedAnswer {
    const maskBytes = Math.ceil(this.nrCpuIds / 64) * 8; // cpumask_size(): whole longs
    switch (nr) {
      case SYS.sched_setaffinity: {
        const len = Number(a[1]!);
        const bytes = task.read(a[2]!, Math.min(len, maskBytes));
        const mask = maskOfBytes(bytes) & this.startMask;
        if (mask === 0n) return fail(E.EINVAL);
        s.mask = mask;
        return ok();
      }
      case SYS.sched_getaffinity: {
        const len = Number(a[1]!);
        if (len * 8 < this.nrCpuIds || (len & 7) !== 0) return fail(E.EINVAL);
        const n = Math.min(len, maskBytes);
        const data = bytesOfMask(s.mask, n);
        task.write(a[2]!, data);
        return ok(BigInt(n), [{ addr: a[2]!, data }]);
      }
      case SYS.getcpu: {
        // The CPU the program would see: rewind's, if its mask allows it, else the first its mask allows.
        const cpu = (s.mask >> BigInt(this.cpu)) & 1n ? this.cpu : lowestCpu(s.mask);
        const writes: MemWrite[] = [];
        if (a[0] !== 0n) writes.push({ addr: a[0]!, data: u32Bytes(cpu) });
        if (a[1] !== 0n) writes.push({ addr: a[1]!, data: u32Bytes(nodeOf(cpu)) });
        for (const w of writes) task.write(w.addr, w.data);
        return ok(0n, writes);
      }
      case SYS.sched_setscheduler:
      case SYS.sched_setparam: {
        const raw = nr === SYS.sched_setscheduler ? Number(BigInt.asIntN(32, a[1]!)) : -1;
        const prio = new DataView(task.read(a[nr === SYS.sched_setscheduler ? 2 : 1]!, 4).slice().buffer).getInt32(0, true);
        const policy = raw === -1 ? s.policy : raw & ~SCHED_RESET_ON_FORK;
        const rt = policy === SCHED_FIFO || policy === SCHED_RR;
        if (![SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE].includes(policy)) return fail(E.EINVAL);
        if (rt ? prio < 1 || prio > RT_PRIO_MAX : prio !== 0) return fail(E.EINVAL);
        if (rt && !this.privileged) return fail(E.EPERM);
        s.policy = policy;
        s.rtPriority = prio;
        if (raw !== -1) s.resetOnFork = (raw & SCHED_RESET_ON_FORK) !== 0;
        return ok();
      }
      case SYS.sched_getscheduler:
        return ok(BigInt(s.policy | (s.resetOnFork ? SCHED_RESET_ON_FORK : 0)));
      case SYS.sched_getparam: {
        const data = u32Bytes(s.rtPriority);
        task.write(a[1]!, data);
        return ok(0n, [{ addr: a[1]!, data }]);
      }
      case SYS.setpriority: {
        const nice = Math.min(NICE_MAX, Math.max(NICE_MIN, Number(BigInt.asIntN(32, a[2]!))));
        if (nice < s.nice && !this.privileged) return fail(E.EACCES);
        s.nice = nice;
        return ok();
      }
      case SYS.getpriority:
        return ok(BigInt(20 - s.nice));
    }
    throw new Error(`unhandled ${nr}`);
  }
}

/** The NUMA node of a CPU (the nodeN link in its sysfs directory), 0 if none. */
function nodeOf(cpu: number): number {
  try {
    const dir = `/sys/devices/system/cpu/cpu${cpu}`;
    for (const name of readdirSync(dir)) if (/^node\d+$/.test(name)) return Number(name.slice(4));
  } catch {
    // no sysfs: node 0
  }
  return 0;
}
