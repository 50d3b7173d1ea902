// Recording: the supervisor loop. Runs the program under ptrace, one stop at a time, and appends to the
// trace everything nondeterministic it observes: syscall results and memory, signals and where they
// landed, trapped rdtsc/cpuid results, execs, and the exit. Syscall rules come from the table in
// src/kernel/syscalls; this file only applies them.
import { readlinkSync } from 'node:fs';
import { R, SYSCALL_ARG_REGS } from '../kernel/regs.js';
import { SI_KERNEL, SIG } from '../kernel/signals.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import type { SyscallDef } from '../kernel/syscalls/types.js';
import type { FileRef, MemWrite, SyscallEvent, TraceEvent } from '../trace/events.js';
import { SignalPlacement, SyscallMode } from '../trace/events.js';
import type { TraceWriter } from '../trace/trace-writer.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { prepareAfterExec } from '../tracee/exec-setup.js';
import { applyInsnResult, decodeTrappedInsn, executeInsn } from '../tracee/insn.js';
import { mapFilesPath, readMaps } from '../tracee/maps.js';
import { waitStop } from '../tracee/spawn.js';
import { describeStop, type Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import { copiedBytes, inputOffset, kernelCopy } from './echo-capture.js';
import { FdEcho } from './fd-echo.js';
import type { FileStore } from './file-store.js';

const ENOSYS = 38n;
const MAP_ANONYMOUS = 0x20n;

export interface RecordOutcome {
  exitCode: number | null;
  exitSignal: number | null;
}

/** Per-task recording state. */
interface TaskState {
  task: Task;
  /** Registers at the last syscall exit, while no user code has run since (signals landing there are exact). */
  lastExit: BigUint64Array | null;
  /** Asynchronous signals that arrived in user code, held until the task's next syscall entry. */
  held: Uint8Array[];
  /** A signal rewind re-sent to deliver a held one; its delivery stop gets the original siginfo. */
  resending: { signo: number; siginfo: Uint8Array } | null;
}

export class Recorder {
  private readonly echo = new FdEcho();
  private readonly state: TaskState;

  constructor(task: Task, private readonly writer: TraceWriter, private readonly files: FileStore,
    private readonly trapCpuid: boolean) {
    this.state = { task, lastExit: null, held: [], resending: null };
  }

  /** Runs the program to its end. The task must be at the seccomp stop of its first execve. */
  run(): RecordOutcome {
    const st = this.state;
    let stop: Stop = { kind: 'seccomp' };
    for (;;) {
      const next = this.handle(st, stop);
      if (next === 'done') break;
      stop = next ?? waitStop(st.task.tid);
    }
    return this.outcome;
  }

  private outcome: RecordOutcome = { exitCode: null, exitSignal: null };

  /** Handles one stop; returns a stop it already waited for, 'done' at the end, or undefined. */
  private handle(st: TaskState, stop: Stop): Stop | 'done' | undefined {
    switch (stop.kind) {
      case 'seccomp':
        return this.onSyscall(st);
      case 'signal':
        this.onSignal(st, stop.signal);
        return undefined;
      case 'exited':
      case 'killed':
        this.onExit(st, stop);
        return 'done';
      case 'group-stop':
      case 'event':
      case 'syscall':
        // Job-control stops are not honoured while recording; nothing else is expected here.
        st.task.cont();
        return undefined;
    }
  }

  private append(ev: TraceEvent): void {
    this.writer.append(ev);
  }

  private onExit(st: TaskState, stop: Stop & { kind: 'exited' | 'killed' }): void {
    const code = stop.kind === 'exited' ? stop.code : null;
    const signal = stop.kind === 'killed' ? stop.signal : null;
    this.append({ kind: 'exit', tid: st.task.tid, code, signal });
    this.outcome = { exitCode: code, exitSignal: signal };
  }

  private onSyscall(st: TaskState): Stop | undefined {
    const task = st.task;
    const regs = task.fetchRegs().slice();
    const nr = Number(regs[R.orig_rax]);
    if (st.held.length > 0) {
      this.deliverHeld(st, regs);
      return undefined;
    }
    const def = syscallDef(nr);
    if (!def || def.kind === 'unsupported') {
      const why = def?.note ? `: ${def.note}` : '';
      throw new UnsupportedError(`unsupported system call ${syscallName(nr)} (${nr})${why}`);
    }
    if (def.kind === 'enosys') {
      this.append(syscallEvent(task.tid, nr, SyscallMode.Emulated, regs.slice(), -ENOSYS, [], null, 0));
      regs[R.orig_rax] = BigInt.asUintN(64, -1n);
      regs[R.rax] = BigInt.asUintN(64, -ENOSYS);
      task.storeRegs(regs);
      st.lastExit = null;
      task.cont();
      return undefined;
    }
    if (nr === SYS.execve || nr === SYS.execveat) return this.onExec(st, regs);

    const args = SYSCALL_ARG_REGS.map((r) => regs[r]!);
    const copy = kernelCopy(nr, args);
    const copyEcho = copy ? this.echo.target(copy.out) : 0;
    const copyFrom = copyEcho ? inputOffset(task, nr, copy!.in, copy!.offPtr) : 0n;

    task.toSyscallExit();
    const after = waitStop(task.tid);
    if (after.kind === 'exited' || after.kind === 'killed') {
      // exit/exit_group (or a SIGKILL while in the call): the syscall never returns.
      this.append(syscallEvent(task.tid, nr, modeOf(def), regs, 0n, [], null, 0));
      return after;
    }
    if (after.kind !== 'syscall') {
      throw new TraceeError(`${syscallName(nr)}: expected its exit, got ${describeStop(after)}`);
    }
    const exitRegs = task.fetchRegs();
    const result = BigInt.asIntN(64, exitRegs[R.rax]!);
    const writes = this.captureOutputs(task, def, args, result);
    const file = nr === SYS.mmap && result >= 0n ? this.mappedFile(task, args) : null;
    const echo = (nr === SYS.write || nr === SYS.writev) && result > 0n ? this.echo.target(args[0]!)
      : copyEcho && result > 0n ? copyEcho : 0;
    this.echo.update(nr, args, result);
    const ev = syscallEvent(task.tid, nr, modeOf(def), regs, result, writes, file, echo);
    if (copyEcho && result > 0n) ev.output = copiedBytes(task, copy!.in, copyFrom, Number(result));
    this.append(ev);
    st.lastExit = exitRegs.slice();
    task.cont();
    return undefined;
  }

  private captureOutputs(task: Task, def: SyscallDef, args: bigint[], result: bigint): MemWrite[] {
    if (!def.outputs) return [];
    const ctx = { args, result, readMem: (addr: bigint, len: number) => task.read(addr, len) };
    const writes: MemWrite[] = [];
    for (const rule of def.outputs) {
      if (result < 0n && !(rule as { onError?: boolean }).onError) continue;
      let regions;
      try {
        regions = rule(ctx);
      } catch (e) {
        throw new UnsupportedError(`${def.name}: ${(e as Error).message}`);
      }
      for (const r of regions) {
        if (r.addr === 0n || r.len <= 0) continue;
        writes.push({ addr: r.addr, data: task.read(r.addr, r.len) });
      }
    }
    return writes;
  }

  private mappedFile(task: Task, args: bigint[]): FileRef | null {
    const fd = BigInt.asIntN(32, args[4]!);
    if ((args[3]! & MAP_ANONYMOUS) !== 0n || fd < 0n) return null;
    return this.files.capture(`/proc/${task.tid}/fd/${fd}`);
  }

  /** execve: on success the trace gets an exec event holding the new image and its initial stack. */
  private onExec(st: TaskState, entry: BigUint64Array): Stop | undefined {
    const task = st.task;
    const nr = Number(entry[R.orig_rax]);
    const pathArg = nr === SYS.execveat ? entry[R.rsi]! : entry[R.rdi]!;
    const argvArg = nr === SYS.execveat ? entry[R.rdx]! : entry[R.rsi]!;
    const envpArg = nr === SYS.execveat ? entry[R.r10]! : entry[R.rdx]!;
    const argv = task.readStringArray(argvArg);
    const envp = task.readStringArray(envpArg);
    void pathArg;
    task.toSyscallExit();
    let s = waitStop(task.tid);
    if (s.kind === 'event') {
      task.toSyscallExit();
      s = waitStop(task.tid);
    }
    if (s.kind === 'exited' || s.kind === 'killed') return s;
    if (s.kind !== 'syscall') throw new TraceeError(`execve: expected its exit, got ${describeStop(s)}`);
    const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
    if (result < 0n) {
      this.append(syscallEvent(task.tid, nr, SyscallMode.Emulated, entry, result, [], null, 0));
      st.lastExit = task.regs.slice();
      task.cont();
      return undefined;
    }
    const exePath = readlinkSync(`/proc/${task.tid}/exe`);
    const maps = readMaps(task.tid);
    const exeMap = maps.find((m) => m.name === exePath);
    const interpMap = maps.find((m) => m.name.startsWith('/') && m.name !== exePath);
    const stackMap = maps.find((m) => m.name === '[stack]');
    if (!exeMap || !stackMap) throw new TraceeError(`execve of ${exePath}: cannot find its mappings`);
    const exe = this.files.capture(`/proc/${task.tid}/exe`);
    const interp = interpMap ? this.files.capture(mapFilesPath(task.tid, interpMap)) : null;
    prepareAfterExec(task, this.trapCpuid);
    const regs = task.fetchRegs().slice();
    const stackAddr = regs[R.rsp]!;
    const stack = task.read(stackAddr, Number(stackMap.end - stackAddr));
    this.append({ kind: 'exec', tid: task.tid, path: exePath, argv, envp, exe, interp, stackAddr, stack, regs });
    st.lastExit = null;
    task.cont();
    return undefined;
  }

  private onSignal(st: TaskState, signo: number): void {
    const task = st.task;
    const siginfo = task.siginfo();
    const code = new DataView(siginfo.buffer, siginfo.byteOffset).getInt32(8, true);
    const regs = task.fetchRegs();

    if (st.resending && st.resending.signo === signo) {
      task.setSiginfo(st.resending.siginfo);
      st.resending = null;
      task.cont(signo);
      return;
    }
    if (signo === SIG.SIGSEGV && code === SI_KERNEL) {
      const insn = decodeTrappedInsn(task, regs[R.rip]!);
      if (insn) {
        const before = regs.slice();
        const out = executeInsn(insn.insn, regs[R.rax]!, regs[R.rcx]!);
        this.append({ kind: 'insn', tid: task.tid, insn: insn.insn, regs: before, out });
        applyInsnResult(regs, insn.insn, out);
        task.storeRegs(regs);
        st.lastExit = null;
        task.cont();
        return;
      }
    }
    let placement: SignalPlacement;
    if (isSynchronous(signo, code)) placement = SignalPlacement.Fault;
    else if (st.lastExit && sameRegs(st.lastExit, regs)) placement = SignalPlacement.SyscallExit;
    else {
      // Arrived while user code ran: hold it until the next syscall entry, where replay can find the spot.
      st.held.push(siginfo);
      task.cont();
      return;
    }
    this.append({ kind: 'signal', tid: task.tid, signo, placement, siginfo, regs: regs.slice() });
    st.lastExit = null;
    task.cont(signo);
  }

  /**
   * Delivers a held signal just before the syscall the task is entering: the syscall is skipped and
   * rewound so it runs again after the handler returns, and the signal is re-sent so the kernel
   * delivers it on the way out (with its original siginfo restored at the delivery stop).
   */
  private deliverHeld(st: TaskState, entry: BigUint64Array): void {
    const task = st.task;
    const siginfo = st.held.shift()!;
    const signo = new DataView(siginfo.buffer, siginfo.byteOffset).getInt32(0, true);
    this.append({ kind: 'signal', tid: task.tid, signo, placement: SignalPlacement.SyscallEntry, siginfo, regs: entry });
    rewindSyscallForSignal(task, entry);
    st.resending = { signo, siginfo };
    st.lastExit = null;
    task.signal(signo);
    task.cont();
  }
}

/** Skips the syscall at a seccomp stop and points rip back at its instruction, so it runs again later. */
export function rewindSyscallForSignal(task: Task, entry: BigUint64Array): void {
  const regs = entry.slice();
  regs[R.rax] = entry[R.orig_rax]!;
  regs[R.orig_rax] = BigInt.asUintN(64, -1n);
  regs[R.rip] = entry[R.rip]! - 2n;
  task.storeRegs(regs);
}

/** Signals raised by the instruction at rip (faults and traps), as opposed to sent ones. */
export function isSynchronous(signo: number, code: number): boolean {
  const faults = [SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGFPE, SIG.SIGTRAP] as number[];
  return faults.includes(signo) && (code > 0 || code === SI_KERNEL);
}

/** Register equality for placing a signal at a syscall exit; orig_rax may legitimately differ. */
export function sameRegs(a: BigUint64Array, b: BigUint64Array): boolean {
  for (let i = 0; i < a.length; i++) if (i !== R.orig_rax && a[i] !== b[i]) return false;
  return true;
}

function modeOf(def: SyscallDef): SyscallMode {
  return def.kind === 'execute' ? SyscallMode.Executed : SyscallMode.Emulated;
}

function syscallEvent(tid: number, nr: number, mode: SyscallMode, regs: BigUint64Array, result: bigint,
  writes: MemWrite[], file: FileRef | null, echo: number): SyscallEvent {
  return { kind: 'syscall', tid, nr, mode, regs, result, writes, file, echo };
}
