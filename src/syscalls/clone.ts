// Irregular syscall: fork(2), vfork(2) and clone(2), record and replay halves side by side. Recording
// announces the new task with a `newtask` event as soon as the kernel reports it, before any of its
// events; replay creates the task for real at the same point and makes it look like the recorded one
// (the recorded tid where the program asked for it, the recorded result in the parent). A vfork parent
// stays in the kernel until its child execs or exits: its syscall event comes then. A home of the
// syscall layer: it imports record/ and replay/ helpers and never the engines, which call it.
import { CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_VM } from '../kernel/clone-flags.js';
import { PTRACE_EVENT_CLONE, PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK } from '../kernel/ptrace.js';
import { R } from '../kernel/regs.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import type { NewTaskEvent, SyscallEvent } from '../trace/events.js';
import { createsThread } from '../trace/process-tree.js';
import { TraceeError } from '../tracee/errors.js';
import { runToSyscallExit } from '../tracee/inject.js';
import { describeStop, type Stop } from '../tracee/stop.js';
import { Task } from '../tracee/task.js';
import { bufferForNewTask } from '../syscallbuf/install.js';

// ---- shared --------------------------------------------------------------------------------------

/** The syscalls that create a task. */
const CREATES_TASK = new Set<number>([SYS.fork, SYS.vfork, SYS.clone]);

export function createsTask(nr: number): boolean {
  return CREATES_TASK.has(nr);
}

/** The kernel's report that the call created a task (PTRACE_EVENT_FORK, _VFORK or _CLONE). */
export function isNewTaskStop(s: Stop): s is Stop & { kind: 'event' } {
  return s.kind === 'event' && (s.event === PTRACE_EVENT_FORK || s.event === PTRACE_EVENT_VFORK || s.event === PTRACE_EVENT_CLONE);
}

/** Whether the vfork parent waits in the kernel (after its new-task stop) for its child to exec or exit. */
export function parentWaits(s: Stop): boolean {
  return s.kind === 'event' && s.event === PTRACE_EVENT_VFORK;
}

/** Whether the new task shares its parent's address space (vfork, clone with CLONE_VM). */
export function sharesMemory(nr: number, regs: BigUint64Array): boolean {
  return nr === SYS.vfork || (nr === SYS.clone && (regs[R.rdi]! & CLONE_VM) !== 0n);
}

/** At the parent's new-task stop: the new task's tid. */
function newTid(parent: Task): number {
  return Number(native.getEventMsg(parent.tid));
}

/**
 * The new task (a thread of the parent's process or a process of its own) at its first stop, and its
 * syscall buffer's address (0n: none). The buffer is per thread: a new thread gets one of its own
 * there and then (a process sharing its creator's memory, such as a vfork child, none); a fork child
 * keeps its copy of its creator's, emptied at the fork's entry.
 */
function awaitChild(parent: Task, tid: number, nr: number, regs: BigUint64Array, waitStop: (tid: number) => Stop): { child: Task; first: Stop; buffer: bigint } {
  const first = waitStop(tid);
  if (first.kind === 'exited' || first.kind === 'killed') throw new TraceeError(`new task ${tid} ended at once`);
  const child = new Task(tid, createsThread(nr, regs) ? parent.tgid : tid);
  const buffer = bufferForNewTask(child, regs[R.gs_base]!, sharesMemory(nr, regs), createsThread(nr, regs));
  return { child, first, buffer };
}

// ---- record --------------------------------------------------------------------------------------

/**
 * At the parent's new-task stop: the `newtask` event is written (by `announce`) before anything of the
 * child is waited for; returns the child at its first stop.
 */
export function recordNewTask(parent: Task, nr: number, regs: BigUint64Array, announce: (ev: NewTaskEvent) => void,
  wait: (tid: number) => Stop): { child: Task; buffer: bigint } {
  const tid = newTid(parent);
  announce({ kind: 'newtask', tid: parent.tid, child: tid, nr, regs });
  const { child, buffer } = awaitChild(parent, tid, nr, regs, wait);
  return { child, buffer };
}

// ---- replay --------------------------------------------------------------------------------------

/**
 * At the entry of the recorded call: runs it until the kernel reports the new task and makes the task
 * look like the recorded one (the recorded tid where the program asked the kernel to write it). Returns
 * the child at its first stop, its clear_child_tid, and the parent's new-task stop.
 */
export function replayNewTask(parent: Task, ev: NewTaskEvent, regs: BigUint64Array, waitStop: (tid: number) => Stop,
  diverge: (message: string) => Error): { child: Task; first: Stop; clearTid: bigint | undefined; parentStop: Stop } {
  const s = runToSyscallExit(parent, regs);
  if (!isNewTaskStop(s)) throw diverge(`${syscallName(ev.nr)} did not create a task (${describeStop(s)})`);
  const { child, first } = awaitChild(parent, newTid(parent), ev.nr, regs, waitStop);
  const flags = ev.nr === SYS.clone ? regs[R.rdi]! : 0n;
  const tid = new Uint8Array(4);
  new DataView(tid.buffer).setInt32(0, ev.child, true);
  // The kernel wrote the new task's real tid where the program asked for it; the program must see the recorded one.
  if ((flags & CLONE_CHILD_SETTID) !== 0n) child.write(regs[R.r10]!, tid);
  if ((flags & CLONE_PARENT_SETTID) !== 0n) parent.write(regs[R.rdx]!, tid);
  const clearTid = (flags & CLONE_CHILD_CLEARTID) !== 0n ? regs[R.r10]! : undefined;
  return { child, first, clearTid, parentStop: s };
}

/** At the parent's syscall exit: the real child's tid must be the one the recorded tid maps to; the program gets the recorded one. */
export function replayNewTaskResult(parent: Task, ev: SyscallEvent, realChild: number | undefined, diverge: (message: string) => Error): void {
  const result = BigInt.asIntN(64, parent.fetchRegs()[R.rax]!);
  if (ev.result >= 0n ? realChild !== Number(result) : result !== ev.result) {
    throw diverge(`${syscallName(ev.nr)} returned ${result}, recorded ${ev.result}`);
  }
  parent.regs[R.rax] = BigInt.asUintN(64, ev.result);
  parent.storeRegs();
}
