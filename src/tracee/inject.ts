// Traced-process model: running system calls inside a stopped tracee on the tracer's behalf
// (arming CPUID faulting after exec, opening the trace's copy of a file at replay…).
import { R } from '../kernel/regs.js';
import { TraceeError } from './errors.js';
import { waitStop } from './spawn.js';
import { describeStop, type Stop } from './stop.js';
import { ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../kernel/errno.js';
import type { Task } from './task.js';

const SYSCALL_INSN = new Uint8Array([0x0f, 0x05]);
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
 * Runs syscall nr with args in the task, which must be stopped in user context (a syscall-exit stop or a
 * signal stop). Registers and any instruction bytes borrowed are restored afterwards. Returns the result.
 * A ptrace event stop between entry and exit (PTRACE_EVENT_FORK/CLONE of an injected fork or clone) is
 * passed to onEvent, if given, and the syscall continues; without onEvent it is an error.
 */
export function injectSyscall(
  task: Task, nr: number, args: readonly bigint[], onEvent?: (event: number) => void,
): bigint {
  const saved = task.fetchRegs().slice();
  const rip = saved[R.rip]!;
  let insnAddr = rip - 2n;
  let borrowed: Uint8Array | null = null;
  const before = task.readPartial(insnAddr, 2);
  if (!(before.length === 2 && before[0] === 0x0f && before[1] === 0x05)) {
    insnAddr = rip;
    borrowed = task.read(rip, 2);
    task.write(rip, SYSCALL_INSN);
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
      if (s.kind !== 'seccomp') throw new TraceeError(`task ${task.tid}: injected syscall ${nr} did not start (${describeStop(s)})`);
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
