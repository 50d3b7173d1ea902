// Traced-process model: running system calls inside a stopped tracee on the tracer's behalf
// (arming CPUID faulting after exec, opening the trace's copy of a file at replay…).
import { R } from '../kernel/regs.js';
import { TraceeError } from './errors.js';
import { waitStop } from './spawn.js';
import { describeStop } from './stop.js';
import type { Task } from './task.js';

const SYSCALL_INSN = new Uint8Array([0x0f, 0x05]);
const ARG_REGS = [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9];

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
    regs[R.orig_rax] = BigInt(nr);
    args.forEach((v, i) => { regs[ARG_REGS[i]!] = BigInt.asUintN(64, v); });
    regs[R.rip] = insnAddr;
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
    return BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
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
