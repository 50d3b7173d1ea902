// Traced-process model: starting a program under ptrace through the launcher, and waiting for stops.
import { loadavg } from 'node:os';
import {
  PTRACE_O_EXITKILL, PTRACE_O_TRACECLONE, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEFORK,
  PTRACE_O_TRACESECCOMP, PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEVFORK, PTRACE_SEIZE,
  WUNTRACED, __WALL,
} from '../kernel/ptrace.js';
import { SIG } from '../kernel/signals.js';
import { launcherPath, native } from '../native/addon.js';
import { monotonicMs } from '../native/clock.js';
import type { StartLimits } from '../trace/meta.js';
import { TraceeError } from './errors.js';
import { applyStartLimits } from './start-limits.js';
import { decodeStatus, describeStop, type Stop } from './stop.js';
import { dropIfStray, dropIfStrayTrap, forgetTask } from './stray-signals.js';
import { Task } from './task.js';

const PTRACE_OPTIONS = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC
  | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL;

/**
 * The SECCOMP_RET_DATA of the launcher's filter (native/launcher.c): its seccomp stops report it as their
 * event message. A stop with another one comes from a filter the program installed (SECCOMP_RET_TRACE).
 */
export const LAUNCHER_SECCOMP_DATA = 0x7277;

const statusBuf = new Int32Array(1);

/** Waits for the next stop of tid (blocking). */
export function waitStop(tid: number): Stop {
  for (;;) {
    const r = native.waitpid(tid, __WALL, statusBuf);
    if (r < 0) throw new TraceeError(`waitpid(${tid}) failed (errno ${-r})`);
    const s = filtered(r, decodeStatus(statusBuf[0]!));
    if (s) return s;
  }
}

/**
 * A stop as a replay sees it: null for a stray signal's delivery stop, which was dropped (the task
 * runs on; see stray-signals.ts). Every waitpid of a replay goes through here.
 */
export function filtered(tid: number, s: Stop): Stop | null {
  if (s.kind === 'signal') return dropIfStray(tid, s.signal) ? null : s;
  if (s.kind === 'group-stop') return dropIfStrayTrap(tid, s.signal) ? null : s;
  if (s.kind === 'exited' || s.kind === 'killed') forgetTask(tid);
  return s;
}

/** Whether this process may run on cpu. */
export function cpuAllowed(cpu: number): boolean {
  return cpu >= 0 && cpu < 53 && Math.floor(native.allowedCpus() / 2 ** cpu) % 2 === 1;
}

/** Waits for the next stop of tid for at most ms milliseconds; null on timeout. */
export function waitStopFor(tid: number, ms: number): Stop | null {
  const deadline = monotonicMs() + ms;
  for (;;) {
    const left = Math.max(0, Math.ceil(deadline - monotonicMs()));
    const r = native.waitpidTimeout(tid, __WALL, statusBuf, left);
    if (r < 0) throw new TraceeError(`waitpid(${tid}) failed (errno ${-r})`);
    if (r === 0) return null;
    const s = filtered(r, decodeStatus(statusBuf[0]!));
    if (s) return s;
  }
}

/** The CPU rewind and its tracees run on: one CPU, so a ptrace stop costs a same-CPU wakeup. */
export function chooseCpu(): number {
  if (process.env.REWIND_CPU) return Number(process.env.REWIND_CPU);
  const mask = native.allowedCpus();
  const cpus: number[] = [];
  for (let i = 0; i < 53; i++) if (Math.floor(mask / 2 ** i) % 2 === 1) cpus.push(i);
  if (cpus.length === 0) return -1;
  return cpus[process.pid % cpus.length]!;
}

/**
 * A CPU other than `cpu` that rewind may use (of those it had before it pinned itself), for a helper
 * thread (the recorder's deflate thread, the replay's read-ahead: the tracing thread and its tracees
 * share `cpu`), or null when there is none (then a thread would only take turns with them). -1 when
 * nothing is pinned (cpu -1): the thread is left to the scheduler.
 */
export function otherCpu(cpu: number): number | null {
  if (cpu < 0) return -1;
  const mask = Number(programCpus() & ((1n << 53n) - 1n));
  for (let k = 1; k < 53; k++) {
    const i = (cpu + k) % 53;
    if (Math.floor(mask / 2 ** i) % 2 === 1) return i;
  }
  return null;
}

export interface LaunchOptions {
  /** Executable to exec (absolute path). */
  path: string;
  argv: string[];
  envp: string[];
  cpu: number;
  /** Set RLIMIT_CORE to 0 (replay must not write core files). */
  noCore: boolean;
  /** Start the program as the leader of a new process group. */
  ownGroup?: boolean;
  /** Leave rdtsc untrapped by the kernel (rewind patches it, or the recording did not trap it). */
  noTscTrap?: boolean;
  /** Start the program with these address-space limits (replay: the recorded ones; see start-limits.ts). */
  limits?: StartLimits;
  /** Let syscalls made from this address run without a stop (the syscall buffer's). */
  untracedIp?: bigint;
  /** With untracedIp: only these syscall numbers (replay: the calls the buffer makes for real there). */
  untracedNrs?: readonly number[];
}

let cpusBeforePin: bigint | null = null;

/** The CPUs rewind (and so the program) could use before launch() pinned rewind to one (bit n: CPU n). */
export function programCpus(): bigint {
  return cpusBeforePin ?? BigInt(native.allowedCpus());
}

/**
 * Whether a helper thread of rewind's (the recorder's deflate thread, the replay's read-ahead) would
 * find a CPU free: rewind may use two or more, and the 1-minute load average is below their number.
 * `env`: the variable that overrides it, "0" never, "1" always.
 */
export function secondCpuFree(env: string): boolean {
  const want = process.env[env];
  if (want === '0') return false;
  if (want === '1') return true;
  const cpus = programCpus().toString(2).replace(/0/g, '').length;
  return cpus >= 2 && loadavg()[0]! < cpus;
}

/**
 * Pins rewind's tracing thread to cpu (-1: leaves it), where the program will run: CPUID answers the
 * tracer computes (leaf 1's APIC id…) are then the program's CPU's. launch() does it too.
 */
export function pinTracer(cpu: number): void {
  cpusBeforePin ??= BigInt(native.allowedCpus());
  if (cpu >= 0) native.setAffinity(0, cpu);
}

/**
 * Starts the launcher, seizes it, and lets it run up to the seccomp stop of its execve.
 * Returns the task stopped there.
 */
export function launch(opts: LaunchOptions): Task {
  pinTracer(opts.cpu);
  const args = [launcherPath];
  if (opts.cpu >= 0) args.push('--cpu', String(opts.cpu));
  if (opts.noCore) args.push('--no-core');
  if (opts.noTscTrap) args.push('--no-tsc-trap');
  if (opts.untracedIp) args.push('--untraced-ip', opts.untracedIp.toString(16));
  if (opts.untracedIp && opts.untracedNrs?.length) args.push('--untraced-nrs', opts.untracedNrs.join(','));
  args.push('--', opts.path, ...opts.argv);
  const pid = native.spawn(launcherPath, args, opts.envp, opts.ownGroup ? 1 : 0);
  if (pid < 0) throw new TraceeError(`cannot start the launcher (errno ${-pid})`);
  let r = native.waitpid(pid, WUNTRACED, statusBuf);
  if (r < 0) throw new TraceeError(`waitpid(${pid}) failed (errno ${-r})`);
  const first = decodeStatus(statusBuf[0]!);
  if (first.kind !== 'signal') throw new TraceeError(`launcher did not stop (${describeStop(first)})`);
  r = native.ptrace(PTRACE_SEIZE, pid, 0, PTRACE_OPTIONS);
  if (r < 0) {
    native.kill(pid, 9);
    throw new TraceeError(`cannot trace the program: PTRACE_SEIZE failed (errno ${-r})`);
  }
  const task = new Task(pid, pid);
  if (opts.limits) {
    try {
      applyStartLimits(pid, opts.limits);
    } catch (e) {
      native.kill(pid, 9);
      throw e;
    }
  }
  // The launcher stopped itself with SIGSTOP; resuming it by ptrace alone would leave its process marked
  // group-stopped for good (each later PTRACE_INTERRUPT stop would then report SIGSTOP, and a SIGCONT the
  // program gets would announce a continue that never was). SIGCONT ends that stop now; blocked in the
  // launcher, it is delivered when the launcher unblocks signals and is dropped below like any stop.
  native.kill(pid, SIG.SIGCONT);
  // The seize re-traps the stopped launcher as a group-stop (PTRACE_EVENT_STOP); resume it to its execve.
  let s = waitStop(pid);
  for (;;) {
    if (s.kind === 'exited' || s.kind === 'killed') {
      throw new TraceeError(`the launcher ended before exec (${describeStop(s)})`);
    }
    task.cont();
    s = waitStop(pid);
    if (s.kind === 'seccomp') return task;
  }
}
