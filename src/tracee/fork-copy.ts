// Traced-process model: frozen copies of a traced process (checkpoints), made by forking it from inside
// (an injected clone) and recreating its other threads in the copy with injected CLONE_THREAD clones.
import { readdirSync } from 'node:fs';
import { R } from '../kernel/regs.js';
import {
  PTRACE_EVENT_CLONE, PTRACE_EVENT_FORK, PTRACE_GETSIGMASK, PTRACE_SETSIGMASK, __WALL,
} from '../kernel/ptrace.js';
import { KERNEL_SIGSET_SIZE, SIG } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { SYSCALL_INSN } from '../kernel/x86-insn.js';
import { native } from '../native/addon.js';
import { TraceeError, UnsupportedError } from './errors.js';
import { injectSyscall, skipToExit } from './inject.js';
import { readMaps } from './maps.js';
import { waitStop } from './spawn.js';
import { forgetTask } from './stray-signals.js';
import { decodeStatus, describeStop, type Stop } from './stop.js';
import { Task } from './task.js';
import {
  CLONE_CHILD_CLEARTID, CLONE_FILES, CLONE_FS, CLONE_PARENT, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
} from '../kernel/clone-flags.js';

const THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

/** Large enough for any NT_X86_XSTATE regset (AMX included); the kernel says how much it filled. */
const XSTATE_MAX = 32768;

/** One thread of the process to copy. */
export interface ThreadState {
  /**
   * The stop the thread is at, as waitStop reported it. Supported: a syscall-exit stop
   * (`{kind:'syscall'}`), a seccomp stop at a syscall's entry (`{kind:'seccomp'}`; the copy's thread is
   * stopped at the same entry, by having it execute the same syscall instruction again, which the
   * trap-everything filter of launch() stops), a signal-delivery stop (`{kind:'signal'}`), and a PTRACE_EVENT_STOP
   * (`{kind:'group-stop'}`: a PTRACE_INTERRUPT stop, a new task's first stop, a group-stop; its signal
   * is SIGSTOP rather than SIGTRAP while the process is still job-control stopped — a launched one is,
   * by the launcher's own SIGSTOP). Refused: other ptrace event stops
   * (fork/clone/exec…, which sit inside a syscall), and ended tasks.
   */
  stop: Stop;
  /**
   * The copy's thread gets this as its clear_child_tid (CLONE_CHILD_CLEARTID): when it exits, the
   * kernel writes 0 there and wakes futex waiters — what pthread_join waits for. Pass the address the
   * original thread registered (its clone's child_tid, or set_tid_address); without it the copy's
   * thread exits without clearing anything (the kernel does not let a tracer read clear_child_tid).
   */
  clearTid?: bigint;
}

export interface CopyOptions {
  /** Parallel to `threads`. */
  threads: readonly ThreadState[];
}

/** A frozen copy of a process: every thread ptrace-stopped, no user code run since the copy was made. */
export interface ProcessCopy {
  /** The copy's process id (its first thread's tid). */
  readonly pid: number;
  /** The copy's threads, in the order of the threads given to copyProcess. */
  readonly tasks: readonly Task[];
  /**
   * The stop each copy thread sits at: the same kind as its original's (a syscall-exit stop, a seccomp
   * stop at the entry of the same syscall with the same registers, a signal-delivery stop of the same signal with the same siginfo, or a PTRACE_EVENT_STOP), so it is
   * resumed exactly like the original would be (PTRACE_CONT, with the signal at a signal stop).
   */
  readonly stops: readonly Stop[];
}

interface Saved {
  regs: BigUint64Array;
  xstate: Uint8Array;
  mask: Uint8Array;
  siginfo: Uint8Array | null;
}

/** Where a task is, for the purpose of parking it: at a syscall exit, or inside get_signal (event stop). */
type Place = 'syscall' | 'event';

/**
 * Makes a frozen copy of the traced process whose threads are `threads` (all of them, all
 * ptrace-stopped as ThreadState.stop describes; we must be their tracer and hold the PTRACE_O_TRACEFORK
 * and TRACECLONE options, as launch() sets).
 *
 * How: `clone(SIGCHLD | CLONE_PARENT)` is injected into the process's main thread (tid === tgid, or the
 * first thread given when it is gone); the child — auto-attached — is the copy. CLONE_PARENT makes the
 * copy a sibling of the original, so a copy of a process that is the tracer's own child is the
 * tracer's child too: the live process never sees it (no SIGCHLD, nothing for its wait()), and
 * discardCopy reaps it completely. For every other thread, `clone(CLONE_VM|FS|FILES|SIGHAND|THREAD|
 * SYSVSEM)` is injected into the copy's first thread and the new thread, caught at its first stop
 * (before any user code), gets its original's state. Each original is left at the stop it was at,
 * with its registers unchanged.
 *
 * Copied per thread: user_regs_struct (fs_base/gs_base included), the xstate (x87/SSE/AVX…), the
 * signal mask, at a signal-delivery stop the pending signal and its siginfo; per process, everything
 * fork copies (memory copy-on-write, signal handlers, fds, seccomp filter, personality, PR_SET_TSC…).
 * A thread at a PTRACE_EVENT_STOP inside an interrupted syscall (rax = -ERESTARTSYS…) restarts it when
 * resumed, original and copy alike. A copy thread whose original is at a syscall exit reaches a real
 * syscall-exit stop by running one skipped syscall (seccomp stop, orig_rax = -1) before its state is set.
 * Not copied: signals pending (not yet dequeued) in the original; the robust futex list (no new task
 * has one); other threads' sigaltstack and rseq registration (a CLONE_VM clone starts without them;
 * the first thread's are inherited through fork); debug registers. The copy's tids differ from the
 * original's (the program's own memory still holds the original tids, e.g. in glibc's thread
 * descriptors: a replayer maps tids anyway).
 * Shared with the live process, as after any fork: open file descriptions (offsets, pipes, sockets),
 * and MAP_SHARED memory — so a process with a writable shared mapping is refused (UnsupportedError);
 * read-only shared mappings are accepted (a later mprotect making one writable is not caught).
 */
export function copyProcess(threads: readonly Task[], opts: CopyOptions): ProcessCopy {
  if (threads.length === 0) throw new TraceeError('copyProcess: no threads given');
  if (opts.threads.length !== threads.length) throw new TraceeError('copyProcess: one ThreadState per thread is needed');
  const tgid = threads[0]!.tgid;
  threads.forEach((t, i) => {
    if (t.tgid !== tgid) throw new TraceeError(`copyProcess: task ${t.tid} is not in process ${tgid}`);
    checkStop(t, opts.threads[i]!.stop);
  });
  const given = new Set(threads.map((t) => t.tid));
  const missing = listThreads(tgid).filter((tid) => !given.has(tid));
  if (missing.length > 0) throw new TraceeError(`copyProcess: threads ${missing.join(', ')} of process ${tgid} were not given`);
  refuseWritableShared(tgid);

  const saved = threads.map((t, i) => saveState(t, opts.threads[i]!.stop));
  const lead = Math.max(0, threads.findIndex((t) => t.tid === t.tgid));
  const leader = threads[lead]!;
  const leadRip = saved[lead]!.regs[R.rip]!;
  // injectSyscall may borrow these two bytes for its syscall instruction; the fork would copy the loan.
  const leadBytes = leader.readPartial(leadRip, 2);
  // A leader at a syscall's entry lets the kernel skip that syscall, so the fork can be injected; it
  // enters the syscall again afterwards (park).
  if (opts.threads[lead]!.stop.kind === 'seccomp') skipToExit(leader, 0n);

  let pid = 0;
  const forkFlags = BigInt(SIG.SIGCHLD) | CLONE_PARENT | clearFlag(opts.threads[lead]!);
  const r = injectSyscall(leader, SYS.clone, [forkFlags, 0n, 0n, opts.threads[lead]!.clearTid ?? 0n, 0n], (ev) => {
    if (ev !== PTRACE_EVENT_FORK) throw new TraceeError(`task ${leader.tid}: unexpected ptrace event ${ev} in an injected fork`);
    const msg = native.getEventMsg(leader.tid);
    if (typeof msg === 'bigint') pid = Number(msg);
  });
  if (r < 0n) throw new TraceeError(`cannot copy process ${tgid}: the injected clone failed (errno ${-r})`, Number(-r));
  pid = Number(r);
  const tasks: Task[] = new Array<Task>(threads.length);
  tasks[lead] = new Task(pid, pid);
  try {
    park(leader, 'syscall', opts.threads[lead]!.stop, saved[lead]!);
    expectFirstStop(pid);

    const places: Place[] = threads.map(() => 'event');
    const copyLead = tasks[lead]!;
    threads.forEach((_, i) => {
      if (i === lead) return;
      let tid = 0;
      const flags = THREAD_FLAGS | clearFlag(opts.threads[i]!);
      const c = injectSyscall(copyLead, SYS.clone, [flags, 0n, 0n, opts.threads[i]!.clearTid ?? 0n, 0n], (ev) => {
        if (ev !== PTRACE_EVENT_CLONE) throw new TraceeError(`task ${copyLead.tid}: unexpected ptrace event ${ev} in an injected clone`);
        const msg = native.getEventMsg(copyLead.tid);
        if (typeof msg === 'bigint') tid = Number(msg);
      });
      places[lead] = 'syscall';
      if (c < 0n) throw new TraceeError(`cannot copy a thread of process ${tgid}: the injected clone failed (errno ${-c})`, Number(-c));
      tid = Number(c);
      tasks[i] = new Task(tid, pid);
      expectFirstStop(tid);
    });

    const now = copyLead.readPartial(leadRip, 2);
    if (now.length === leadBytes.length && !now.every((b, k) => b === leadBytes[k])) copyLead.write(leadRip, leadBytes);

    tasks.forEach((t, i) => park(t, places[i]!, opts.threads[i]!.stop, saved[i]!));
  } catch (e) {
    killAndReap(pid, tasks.filter((t) => t !== undefined).map((t) => t.tid));
    throw e;
  }
  return { pid, tasks, stops: opts.threads.map((t) => ({ ...t.stop })) };
}

/** Kills a copy (SIGKILL) and reaps all its threads, so nothing of it remains (not even a zombie, when
 * the tracer is its parent — see copyProcess; otherwise its parent gets the zombie, as for any process). */
export function discardCopy(copy: ProcessCopy): void {
  killAndReap(copy.pid, copy.tasks.map((t) => t.tid));
}

function clearFlag(t: ThreadState): bigint {
  return t.clearTid !== undefined && t.clearTid !== 0n ? CLONE_CHILD_CLEARTID : 0n;
}

function checkStop(t: Task, s: Stop): void {
  if (s.kind === 'syscall' || s.kind === 'seccomp' || s.kind === 'signal' || s.kind === 'group-stop') return;
  throw new TraceeError(`copyProcess: task ${t.tid} is at a ${describeStop(s)}, where it cannot be copied`);
}

function listThreads(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch (e) {
    throw new TraceeError(`copyProcess: cannot list the threads of process ${pid}: ${(e as Error).message}`);
  }
}

function refuseWritableShared(pid: number): void {
  for (const m of readMaps(pid)) {
    if (m.perms.includes('s') && m.perms.includes('w')) {
      throw new UnsupportedError(
        `cannot checkpoint process ${pid}: it has a writable shared mapping (${m.start.toString(16)}-${m.end.toString(16)} `
        + `${m.perms} ${m.name || '[anonymous]'}), which a copy would share with the live process`);
    }
  }
}

function saveState(t: Task, stop: Stop): Saved {
  const regs = t.fetchRegs().slice();
  const buf = new Uint8Array(XSTATE_MAX);
  const n = native.getXState(t.tid, buf);
  if (n < 0) throw new TraceeError(`cannot read the xstate of task ${t.tid} (errno ${-n})`, -n);
  return { regs, xstate: buf.slice(0, n), mask: getMask(t), siginfo: stop.kind === 'signal' ? t.siginfo() : null };
}

function getMask(t: Task): Uint8Array {
  const m = new Uint8Array(KERNEL_SIGSET_SIZE);
  const r = native.ptraceBuf(PTRACE_GETSIGMASK, t.tid, KERNEL_SIGSET_SIZE, m);
  if (r < 0) throw new TraceeError(`cannot read the signal mask of task ${t.tid} (errno ${-r})`, -r);
  return m;
}

function setMask(t: Task, m: Uint8Array): void {
  const r = native.ptraceBuf(PTRACE_SETSIGMASK, t.tid, KERNEL_SIGSET_SIZE, m);
  if (r < 0) throw new TraceeError(`cannot set the signal mask of task ${t.tid} (errno ${-r})`, -r);
}

function expectFirstStop(tid: number): void {
  const s = waitStop(tid);
  if (s.kind !== 'group-stop') throw new TraceeError(`copy task ${tid}: expected its first stop, got ${describeStop(s)}`);
}

/**
 * Brings t, which is at a syscall-exit stop or at an event stop inside get_signal (`from`), to the kind of
 * stop `target`, without running user code, then gives it the saved state.
 */
function park(t: Task, from: Place, target: Stop, st: Saved): void {
  if (target.kind === 'seccomp') {
    reenterSyscall(t, st.regs);
  } else if (target.kind === 'syscall' && from === 'event') {
    // Execute one skipped syscall: its exit stop is then a real syscall-exit stop.
    const regs = t.fetchRegs().slice();
    const rip = regs[R.rip]!;
    const prev = t.readPartial(rip - 2n, 2);
    let at = rip - 2n;
    let borrowed: Uint8Array | null = null;
    if (!(prev.length === 2 && prev[0] === 0x0f && prev[1] === 0x05)) {
      at = rip;
      borrowed = t.read(rip, 2);
      t.write(rip, new Uint8Array(SYSCALL_INSN));
    }
    try {
      regs[R.rip] = at;
      regs[R.rax] = BigInt(SYS.getpid);
      regs[R.orig_rax] = BigInt.asUintN(64, -1n); // no syscall restart when leaving the event stop
      t.storeRegs(regs);
      t.cont();
      const s = waitStop(t.tid);
      if (s.kind !== 'seccomp') throw new TraceeError(`task ${t.tid}: expected a syscall entry, got ${describeStop(s)}`);
      skipToExit(t, 0n);
    } finally {
      if (borrowed) t.write(at, borrowed);
    }
  } else if (target.kind === 'group-stop' && from === 'syscall') {
    // A pending PTRACE_INTERRUPT traps in get_signal on the way out of the syscall, before user code.
    t.interrupt();
    t.cont();
    const s = waitStop(t.tid);
    if (s.kind !== 'group-stop') throw new TraceeError(`task ${t.tid}: expected an interrupt stop, got ${describeStop(s)}`);
  } else if (target.kind === 'signal') {
    // Queue the signal with every other one blocked, so it is the one get_signal dequeues and reports.
    const only = new Uint8Array(KERNEL_SIGSET_SIZE).fill(0xff);
    only[(target.signal - 1) >> 3]! &= ~(1 << ((target.signal - 1) & 7));
    setMask(t, only);
    t.signal(target.signal);
    t.cont();
    const s = waitStop(t.tid);
    if (s.kind !== 'signal' || s.signal !== target.signal) {
      throw new TraceeError(`task ${t.tid}: expected a stop for signal ${target.signal}, got ${describeStop(s)}`);
    }
  }
  t.storeRegs(st.regs);
  const x = native.setXState(t.tid, st.xstate);
  if (x < 0) throw new TraceeError(`cannot set the xstate of task ${t.tid} (errno ${-x})`, -x);
  setMask(t, st.mask);
  if (st.siginfo) t.setSiginfo(st.siginfo);
}

/**
 * Has t (at a syscall-exit or event stop) execute the syscall instruction just before saved rip again,
 * with every signal blocked so nothing is delivered on the way: it stops at that syscall's entry
 * (seccomp stop) before user code runs.
 */
function reenterSyscall(t: Task, saved: BigUint64Array): void {
  const at = saved[R.rip]! - 2n;
  const insn = t.readPartial(at, 2);
  if (!(insn.length === 2 && insn[0] === 0x0f && insn[1] === 0x05)) {
    throw new TraceeError(`task ${t.tid}: no syscall instruction before 0x${saved[R.rip]!.toString(16)} to stop at again`);
  }
  const regs = saved.slice();
  regs[R.rip] = at;
  regs[R.rax] = saved[R.orig_rax]!;
  regs[R.orig_rax] = BigInt.asUintN(64, -1n); // no syscall restart on the way out of the current stop
  t.storeRegs(regs);
  setMask(t, new Uint8Array(KERNEL_SIGSET_SIZE).fill(0xff));
  t.cont();
  const s = waitStop(t.tid);
  if (s.kind !== 'seccomp') throw new TraceeError(`task ${t.tid}: expected the syscall entry again, got ${describeStop(s)}`);
  if (t.fetchRegs()[R.orig_rax] !== saved[R.orig_rax]) throw new TraceeError(`task ${t.tid}: stopped at the entry of another syscall`);
}

function killAndReap(pid: number, tids: readonly number[]): void {
  native.kill(pid, SIG.SIGKILL);
  const status = new Int32Array(1);
  // Other threads first: a thread-group leader is reported only once its threads are reaped.
  const order = [...tids.filter((t) => t !== pid), pid];
  for (const tid of order) forgetTask(tid);
  for (const tid of order) {
    for (;;) {
      const r = native.waitpid(tid, __WALL, status);
      if (r < 0) break; // ECHILD: already reaped
      const s = decodeStatus(status[0]!);
      if (s.kind === 'exited' || s.kind === 'killed') break;
    }
  }
}
