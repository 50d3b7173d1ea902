// Traced-process model: running system calls inside a stopped tracee on the tracer's behalf
// (arming CPUID faulting after exec, opening the trace's copy of a file at replay…).
import { PTRACE_GETSIGMASK, PTRACE_SETSIGMASK } from '../kernel/ptrace.js';
import { R } from '../kernel/regs.js';
import { KERNEL_SIGSET_SIZE, SIG } from '../kernel/signals.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { isSyscallInsn, SYSCALL_INSN } from '../kernel/x86-insn.js';
import { native } from '../native/addon.js';
import { TraceeError } from './errors.js';
import { waitStop } from './spawn.js';
import { describeStop, type Stop } from './stop.js';
import { ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../kernel/errno.js';
import type { Task } from './task.js';

const SIGCHLD = SIG.SIGCHLD;
const ARG_REGS = [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9];
/** How often a syscall interrupted by a signal is run again before its result is taken as it is. */
const MAX_RESTARTS = 100;

/** A result that never reaches user space: the call was interrupted by a signal and will be restarted. */
export function interruptedBySignal(result: bigint): boolean {
  return result <= -BigInt(ERESTARTSYS) && result >= -BigInt(ERESTART_RESTARTBLOCK);
}

/**
 * From a seccomp stop at `entry`, runs the syscall to its exit stop and returns that stop. A syscall a
 * stray signal interrupted (at a replay: fork and clone refuse to start with a signal pending) is run
 * again once the signal is dropped, so the caller sees the call's own result.
 */
export function runToSyscallExit(task: Task, entry: BigUint64Array): Stop {
  for (let attempt = 0; ; attempt++) {
    task.toSyscallExit();
    const s = waitStop(task.tid);
    if (s.kind !== 'syscall' || attempt >= MAX_RESTARTS) return s;
    if (!interruptedBySignal(BigInt.asIntN(64, task.fetchRegs()[R.rax]!))) return s;
    const again = entry.slice();
    again[R.rax] = entry[R.orig_rax]!;
    again[R.orig_rax] = BigInt.asUintN(64, -1n);
    again[R.rip] = entry[R.rip]! - 2n;
    task.storeRegs(again);
    task.cont();
    const back = waitStop(task.tid);
    if (back.kind !== 'seccomp') return back;
    task.storeRegs(entry);
  }
}

/**
 * From a seccomp stop, lets the kernel skip the syscall and stops at its exit, so the task is at a
 * point where its registers can be changed freely. The registers then read rax = result.
 */
export function skipToExit(task: Task, result: bigint): void {
  task.fetchRegs();
  task.regs[R.orig_rax] = BigInt.asUintN(64, -1n);
  task.regs[R.rax] = BigInt.asUintN(64, result);
  task.storeRegs();
  task.toSyscallExit();
  const s = waitStop(task.tid);
  if (s.kind !== 'syscall') throw new TraceeError(`task ${task.tid}: expected a syscall exit, got ${describeStop(s)}`);
}

/**
 * At the exit stop of a syscall rewind performed by other means (skipped, then done by injected calls):
 * the registers the recorded call left, from its entry registers and result. rcx and r11 are the
 * kernel's (the syscall instruction's return address and flags); `fetched`: task.regs already hold
 * them (fetched at this stop).
 */
export function setExitRegs(task: Task, entry: BigUint64Array, result: bigint, fetched = false): void {
  const after = entry.slice();
  after[R.rax] = BigInt.asUintN(64, result);
  after[R.orig_rax] = BigInt.asUintN(64, -1n);
  if (!fetched) task.fetchRegs();
  after[R.rcx] = task.regs[R.rcx]!;
  after[R.r11] = task.regs[R.r11]!;
  task.storeRegs(after);
}

const FILTER_HINT = '; a seccomp filter of the program\'s own may refuse it';

/** Whether a seccomp stop is the entry of the syscall set up in `set` (same instruction, number and arguments). */
function atInjectedEntry(now: BigUint64Array, set: BigUint64Array): boolean {
  return now[R.rip] === set[R.rip]! + 2n && now[R.orig_rax] === set[R.rax] && ARG_REGS.every((r) => now[r] === set[r]);
}

/**
 * Runs syscall nr with args in the task, which must be stopped in user context (a syscall-exit stop or a
 * signal stop). Registers and any instruction bytes borrowed are restored afterwards. Returns the result.
 * A ptrace event stop between entry and exit (PTRACE_EVENT_FORK/CLONE of an injected fork or clone) is
 * passed to onEvent, if given, and the syscall continues; without onEvent it is an error.
 * `dropSigchld`: a SIGCHLD that stops the task before the syscall starts is discarded (replay drops the
 * kernel's SIGCHLDs for its replayed children; a recorder must not).
 */
export function injectSyscall(
  task: Task, nr: number, args: readonly bigint[], onEvent?: (event: number) => void, dropSigchld = false,
): bigint {
  const saved = task.fetchRegs().slice();
  const rip = saved[R.rip]!;
  let insnAddr = rip - 2n;
  let borrowed: Uint8Array | null = null;
  const before = task.readPartial(insnAddr, 2);
  if (!isSyscallInsn(before)) {
    insnAddr = rip;
    borrowed = task.read(rip, 2);
    task.write(rip, new Uint8Array(SYSCALL_INSN));
  }
  try {
    const regs = saved.slice();
    regs[R.rax] = BigInt(nr);
    args.forEach((v, i) => { regs[ARG_REGS[i]!] = BigInt.asUintN(64, v); });
    regs[R.rip] = insnAddr;
    for (let attempt = 0; ; attempt++) {
      // orig_rax -1: leaving the current stop does no syscall-restart arithmetic on these registers.
      regs[R.orig_rax] = BigInt.asUintN(64, -1n);
      task.storeRegs(regs);
      task.cont();
      let s = waitStop(task.tid);
      while (dropSigchld && s.kind === 'signal' && s.signal === SIGCHLD) {
        task.cont();
        s = waitStop(task.tid);
      }
      if (s.kind !== 'seccomp') throw new TraceeError(`task ${task.tid}: injected ${syscallName(nr)} did not start (${describeStop(s)})${FILTER_HINT}`);
      if (!atInjectedEntry(task.fetchRegs(), regs)) {
        // The kernel answered it without a stop (a filter of the program's own: SECCOMP_RET_ERRNO) and
        // the program ran on to a syscall of its own.
        throw new TraceeError(`task ${task.tid}: injected ${syscallName(nr)} did not reach rewind${FILTER_HINT}`);
      }
      task.toSyscallExit();
      s = waitStop(task.tid);
      while (s.kind === 'event' && onEvent) {
        onEvent(s.event);
        task.toSyscallExit();
        s = waitStop(task.tid);
      }
      if (s.kind !== 'syscall') throw new TraceeError(`task ${task.tid}: injected syscall ${nr} did not finish (${describeStop(s)})`);
      const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
      // A signal arrived meanwhile (fork refuses to start with one pending): at a replay it is a stray
      // one, dropped on the way out; the call runs again.
      if (!interruptedBySignal(result) || attempt >= MAX_RESTARTS) return result;
    }
  } finally {
    if (borrowed) task.write(insnAddr, borrowed);
    task.storeRegs(saved);
  }
}

/**
 * Calls fn with the address of a NUL-terminated copy of str placed at the top of the task's stack
 * (just above rsp, which is always mapped). The bytes it covered are restored afterwards; the task
 * runs no user code in between.
 */
export function withStringOnStack<T>(task: Task, str: string, fn: (addr: bigint) => T): T {
  const bytes = new TextEncoder().encode(str + '\0');
  const addr = task.fetchRegs()[R.rsp]!;
  const saved = task.read(addr, bytes.length);
  task.write(addr, bytes);
  try {
    return fn(addr);
  } finally {
    task.write(addr, saved);
  }
}

/**
 * Runs syscall nr in a task at any stop the replay leaves a thread at, and leaves it at the same kind of
 * stop with the same registers:
 * - a syscall-exit stop, a PTRACE_EVENT_STOP, or a signal-delivery stop whose signal is not to be
 *   delivered (`pending` 0): injectSyscall as it is (the task then sits at a syscall-exit stop, which
 *   resumes the same way);
 * - a signal-delivery stop of `pending`, a signal to be delivered on resume: after the injection the
 *   signal is queued again with every other one blocked, so the task stops at its delivery once more
 *   (registers, mask and siginfo put back);
 * - a seccomp stop at a syscall's entry: the kernel skips that syscall, the injection runs at its
 *   exit, then the task executes the same syscall instruction again with every signal blocked and
 *   stops at its entry, where its registers and mask are put back (an entry already skipped, orig_rax
 *   -1, is re-entered as getpid and skipped again by those registers).
 */
export function injectAtStop(task: Task, at: Stop, nr: number, args: readonly bigint[], pending = 0): bigint {
  const injectSyscall = (t: Task, n: number, a: readonly bigint[]) => injectSyscallDroppingSigchld(t, n, a);
  if (at.kind === 'syscall' || at.kind === 'group-stop' || (at.kind === 'signal' && pending === 0)) {
    return injectSyscall(task, nr, args);
  }
  if (at.kind === 'signal') {
    const saved = task.fetchRegs().slice();
    const info = task.siginfo();
    const mask = getSigMask(task);
    const r = injectSyscall(task, nr, args);
    setSigMask(task, onlySignal(pending));
    task.signal(pending);
    task.cont();
    const s = waitStop(task.tid);
    if (s.kind !== 'signal' || s.signal !== pending) {
      throw new TraceeError(`task ${task.tid}: expected signal ${pending} again after an injected syscall, got ${describeStop(s)}`);
    }
    setSigMask(task, mask);
    task.storeRegs(saved);
    task.setSiginfo(info);
    return r;
  }
  if (at.kind === 'seccomp') {
    const saved = task.fetchRegs().slice();
    // An entry replay already skipped (orig_rax -1) is re-entered through getpid, then skipped again
    // with the same registers (the seccomp filter kills a process whose syscall number is out of range).
    const skipped = saved[R.orig_rax] === BigInt.asUintN(64, -1n);
    const mask = getSigMask(task);
    skipToExit(task, saved[R.rax]!);
    const r = injectSyscall(task, nr, args);
    const again = saved.slice();
    again[R.rip] = saved[R.rip]! - 2n;
    again[R.rax] = skipped ? BigInt(SYS.getpid) : saved[R.orig_rax]!;
    again[R.orig_rax] = BigInt.asUintN(64, -1n); // no restart on the way out of the exit stop
    task.storeRegs(again);
    setSigMask(task, new Uint8Array(KERNEL_SIGSET_SIZE).fill(0xff));
    task.cont();
    const s = waitStop(task.tid);
    if (s.kind !== 'seccomp') throw new TraceeError(`task ${task.tid}: expected its syscall entry again, got ${describeStop(s)}`);
    setSigMask(task, mask);
    task.storeRegs(saved);
    return r;
  }
  throw new TraceeError(`task ${task.tid}: cannot inject a syscall at a ${describeStop(at)}`);
}

/** injectSyscall with every signal blocked, so one queued for the task (a re-sent recorded signal) waits. */
function injectSyscallDroppingSigchld(task: Task, nr: number, args: readonly bigint[]): bigint {
  const mask = getSigMask(task);
  setSigMask(task, new Uint8Array(KERNEL_SIGSET_SIZE).fill(0xff));
  try {
    return injectSyscall(task, nr, args, undefined, true);
  } finally {
    setSigMask(task, mask);
  }
}

function onlySignal(sig: number): Uint8Array {
  const m = new Uint8Array(KERNEL_SIGSET_SIZE).fill(0xff);
  m[(sig - 1) >> 3]! &= ~(1 << ((sig - 1) & 7));
  return m;
}

/** The task's signal mask (kernel sigset, PTRACE_GETSIGMASK). */
export function getSigMask(task: Task): Uint8Array {
  const m = new Uint8Array(KERNEL_SIGSET_SIZE);
  const r = native.ptraceBuf(PTRACE_GETSIGMASK, task.tid, KERNEL_SIGSET_SIZE, m);
  if (r < 0) throw new TraceeError(`cannot read the signal mask of task ${task.tid} (errno ${-r})`, -r);
  return m;
}

export function setSigMask(task: Task, m: Uint8Array): void {
  const r = native.ptraceBuf(PTRACE_SETSIGMASK, task.tid, KERNEL_SIGSET_SIZE, m);
  if (r < 0) throw new TraceeError(`cannot set the signal mask of task ${task.tid} (errno ${-r})`, -r);
}
