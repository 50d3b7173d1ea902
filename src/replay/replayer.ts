// Replay: re-executes a recorded program. Syscalls are emulated from the trace (the program gets the
// recorded result and memory; nothing outside is touched) except those that shape the address space or
// the kernel's view of the task, which run for real at the recorded addresses. At every stop the
// program's state is checked against the recording; any difference stops replay with a report.
import { R, SYSCALL_ARG_REGS } from '../kernel/regs.js';
import { SI_KERNEL, SIG } from '../kernel/signals.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import type { ExecEvent, SignalEvent, SyscallEvent, TraceEvent } from '../trace/events.js';
import { SignalPlacement, SyscallMode } from '../trace/events.js';
import type { TraceReader } from '../trace/trace-reader.js';
import { copyPath } from '../record/file-store.js';
import { isSynchronous, rewindSyscallForSignal } from '../record/recorder.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { hasCpuidFaulting } from '../tracee/cpu-features.js';
import { prepareAfterExec } from '../tracee/exec-setup.js';
import { injectSyscall, skipToExit } from '../tracee/inject.js';
import { applyInsnResult, decodeTrappedInsn } from '../tracee/insn.js';
import { findMapping, mapFilesPath, readMaps } from '../tracee/maps.js';
import { chooseCpu, cpuAllowed, launch, waitStop } from '../tracee/spawn.js';
import { describeStop, type Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import { statSync } from 'node:fs';
import { native } from '../native/addon.js';
import { describeEvent, DivergenceError, regsDifference, TraceEndedEarly } from './divergence.js';
import { echoWrite } from './echo.js';
import { EventCursor } from './event-cursor.js';

const AT_FDCWD = -100n;
const O_RDONLY_CLOEXEC = 0o2000000n;
const MAP_TYPE_MASK = 0x3n;
const MAP_PRIVATE = 0x2n;
const MAP_FIXED = 0x10n;
const MAP_ANONYMOUS = 0x20n;

/** Executed syscalls whose result names the replayed task (a tid) rather than an effect: replay hands back the recorded one. */
const RESULT_IS_IDENTITY = new Set<number>([SYS.set_tid_address, SYS.rt_sigreturn]);

export interface ReplayOptions {
  /** Re-emit the program's writes to stdout/stderr. */
  echo: boolean;
}

export interface ReplayOutcome {
  exitCode: number | null;
  exitSignal: number | null;
  events: number;
}

export class Replayer {
  private readonly cursor: EventCursor;
  private task!: Task;
  /** The recorded tid of the task being replayed (replay's tids differ). */
  private recordedTid = 0;
  /** A signal replay re-sent to deliver a recorded one; its delivery stop gets the recorded siginfo. */
  private resending: SignalEvent | null = null;
  private outcome: ReplayOutcome | null = null;

  constructor(private readonly reader: TraceReader, private readonly opts: ReplayOptions) {
    this.cursor = new EventCursor(reader);
  }

  run(): ReplayOutcome {
    const first = this.cursor.peek();
    if (!first) throw new TraceEndedEarly('the trace holds no events (the recording was interrupted at once)');
    if (first.kind !== 'exec') throw this.diverge(`the trace does not start with an exec (${describeEvent(first)})`);
    this.recordedTid = first.tid;
    const meta = this.reader.meta;
    if (meta.cpuidFaulting && !hasCpuidFaulting()) {
      throw new UnsupportedError('this trace was recorded with CPUID faulting, which this machine lacks');
    }
    this.task = launch({
      path: copyPath(this.reader.filesDir, first.exe), argv: first.argv, envp: first.envp,
      cpu: cpuAllowed(meta.cpu) ? meta.cpu : chooseCpu(), noCore: true,
    });
    try {
      let stop: Stop = { kind: 'seccomp' };
      while (!this.outcome) {
        const next = this.handle(stop);
        if (this.outcome) break;
        stop = next ?? waitStop(this.task.tid);
      }
      return this.outcome;
    } catch (e) {
      native.kill(this.task.tid, SIG.SIGKILL);
      try { waitStop(this.task.tid); } catch { /* already gone */ }
      throw e;
    }
  }

  private handle(stop: Stop): Stop | undefined {
    switch (stop.kind) {
      case 'seccomp': return this.onSyscall();
      case 'signal': this.onSignal(stop.signal); return undefined;
      case 'exited':
      case 'killed': this.onExit(stop); return undefined;
      default:
        throw this.diverge(`unexpected ${describeStop(stop)} in task ${this.task.tid}`);
    }
  }

  /** The next event, which must belong to the stopped task; handles the end of the trace. */
  private expectEvent(what: string): TraceEvent {
    const ev = this.cursor.peek();
    if (!ev) {
      if (this.cursor.truncated) {
        throw new TraceEndedEarly(`the trace ends early at event ${this.cursor.index} (the recording was interrupted); replayed up to there`);
      }
      throw this.diverge(`the program went on (${what}) after the end of the recording`);
    }
    if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL) {
      // SIGKILL ended the recorded run here; it has no delivery stop, so replay kills at the same point.
      native.kill(this.task.tid, SIG.SIGKILL);
      return ev;
    }
    if (ev.tid !== this.recordedTid) throw this.diverge(`expected an event of recorded task ${ev.tid}, got ${what} in recorded task ${this.recordedTid}`);
    return ev;
  }

  private checkRegs(expected: BigUint64Array, actual: BigUint64Array, what: string, ignore: number[] = []): void {
    const diff = regsDifference(expected, actual, ignore);
    if (diff) throw this.diverge(`${what}: registers differ (${diff})`);
  }

  diverge(message: string): DivergenceError {
    const details = this.cursor.recent.map((r) => `  event ${r.index}: ${describeEvent(r.ev)}`);
    const next = this.cursor.peek();
    if (next) details.push(`  expected event ${this.cursor.index}: ${describeEvent(next)}`);
    return new DivergenceError(`replay diverged at event ${this.cursor.index}: ${message}`, details);
  }

  private onSyscall(): Stop | undefined {
    const task = this.task;
    const regs = task.fetchRegs().slice();
    const nr = Number(regs[R.orig_rax]);
    const ev = this.expectEvent(`syscall ${syscallName(nr)}`);
    if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL) return undefined;
    if (ev.kind === 'signal' && ev.placement === SignalPlacement.SyscallEntry) {
      this.checkRegs(ev.regs, regs, `before ${syscallName(nr)}, delivering ${ev.signo}`);
      this.cursor.take();
      rewindSyscallForSignal(task, regs);
      this.resending = ev;
      task.signal(ev.signo);
      task.cont();
      return undefined;
    }
    if (ev.kind === 'exec') {
      if (nr !== SYS.execve && nr !== SYS.execveat) throw this.diverge(`expected an execve, got syscall ${syscallName(nr)}`);
      this.cursor.take();
      return this.replayExec(ev, regs);
    }
    if (ev.kind !== 'syscall') throw this.diverge(`expected ${describeEvent(ev)}, got syscall ${syscallName(nr)}`);
    if (ev.nr !== nr) throw this.diverge(`expected syscall ${syscallName(ev.nr)}, got ${syscallName(nr)}`);
    this.checkRegs(ev.regs, regs, `at ${syscallName(nr)}`);
    this.cursor.take();
    const next = this.cursor.peek();
    const sigAtExit = next?.kind === 'signal' && next.tid === this.recordedTid && next.placement === SignalPlacement.SyscallExit ? next : null;

    if (ev.mode === SyscallMode.Emulated) {
      if (sigAtExit) {
        skipToExit(task, ev.result);
        this.applyWrites(ev);
        task.fetchRegs();
        task.regs[R.orig_rax] = BigInt(nr);
        task.regs[R.rax] = BigInt.asUintN(64, ev.result);
        task.storeRegs();
        this.resendAtExit(sigAtExit);
      } else {
        regs[R.orig_rax] = BigInt.asUintN(64, -1n);
        regs[R.rax] = BigInt.asUintN(64, ev.result);
        task.storeRegs(regs);
        this.applyWrites(ev);
      }
      task.cont();
      return undefined;
    }
    return this.replayExecuted(ev, regs, sigAtExit);
  }

  private applyWrites(ev: SyscallEvent): void {
    for (const w of ev.writes) this.task.write(w.addr, w.data);
    if (ev.echo && this.opts.echo) echoWrite(this.task, ev);
  }

  private resendAtExit(sig: SignalEvent): void {
    this.cursor.take();
    this.resending = sig;
    this.task.signal(sig.signo);
  }

  /** A syscall that runs for real; anonymous mmaps are pinned to the recorded address. */
  private replayExecuted(ev: SyscallEvent, regs: BigUint64Array, sigAtExit: SignalEvent | null): Stop | undefined {
    const task = this.task;
    if (ev.file) {
      this.mapTraceCopy(ev, regs);
    } else {
      const pinned = ev.nr === SYS.mmap && ev.result >= 0n;
      if (pinned) {
        regs[R.rdi] = BigInt.asUintN(64, ev.result);
        regs[R.r10] = regs[R.r10]! | MAP_FIXED;
        task.storeRegs(regs);
      }
      // A signal that interrupts this call (rt_sigsuspend) must be pending before it runs.
      if (sigAtExit) this.resendAtExit(sigAtExit);
      task.toSyscallExit();
      const s = waitStop(task.tid);
      if (s.kind === 'exited' || s.kind === 'killed') return s;
      if (s.kind !== 'syscall') throw this.diverge(`${syscallName(ev.nr)}: expected its exit, got ${describeStop(s)}`);
      const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
      if (result !== ev.result) {
        if (!RESULT_IS_IDENTITY.has(ev.nr)) throw this.diverge(`${syscallName(ev.nr)} returned ${result}, recorded ${ev.result}`);
        task.regs[R.rax] = BigInt.asUintN(64, ev.result);
        task.storeRegs();
      }
      if (pinned) {
        // The program must see its own arguments, not the pinned ones.
        task.regs[R.rdi] = ev.regs[R.rdi]!;
        task.regs[R.r10] = ev.regs[R.r10]!;
        task.storeRegs();
      }
    }
    this.applyWrites(ev);
    if (ev.file && sigAtExit) {
      task.fetchRegs();
      task.regs[R.orig_rax] = BigInt(ev.nr);
      task.storeRegs();
      this.resendAtExit(sigAtExit);
    }
    task.cont();
    return undefined;
  }

  /** mmap of a file: maps the trace's copy (privately: replay never writes to files) at the recorded address. */
  private mapTraceCopy(ev: SyscallEvent, entry: BigUint64Array): void {
    const task = this.task;
    const file = ev.file!;
    skipToExit(task, ev.result);
    const args = SYSCALL_ARG_REGS.map((r) => entry[r]!);
    let fd = -1n;
    let flags = (args[3]! & ~MAP_TYPE_MASK) | MAP_PRIVATE | MAP_FIXED;
    if (file.copy === '') {
      flags |= MAP_ANONYMOUS;
    } else {
      const path = copyPath(this.reader.filesDir, file);
      fd = this.openInTracee(path);
    }
    const r = injectSyscall(task, SYS.mmap, [ev.result, args[1]!, args[2]!, flags, fd, fd < 0n ? 0n : args[5]!]);
    if (fd >= 0n) injectSyscall(task, SYS.close, [fd]);
    if (r !== ev.result) throw this.diverge(`mmap of ${file.path} landed at 0x${r.toString(16)}, recorded 0x${ev.result.toString(16)}`);
    const after = entry.slice();
    after[R.rax] = BigInt.asUintN(64, ev.result);
    after[R.orig_rax] = BigInt.asUintN(64, -1n);
    task.fetchRegs();
    after[R.rcx] = task.regs[R.rcx]!;
    after[R.r11] = task.regs[R.r11]!;
    task.storeRegs(after);
  }

  /** Opens path read-only inside the tracee (at a syscall-exit stop); returns the fd. */
  private openInTracee(path: string): bigint {
    const task = this.task;
    const bytes = new TextEncoder().encode(path + '\0');
    const addr = task.fetchRegs()[R.rsp]!;
    const saved = task.read(addr, bytes.length);
    task.write(addr, bytes);
    try {
      const fd = injectSyscall(task, SYS.openat, [AT_FDCWD, addr, O_RDONLY_CLOEXEC, 0n]);
      if (fd < 0n) throw new TraceeError(`cannot open the trace's copy ${path} in the replayed process (errno ${-fd})`);
      return fd;
    } finally {
      task.write(addr, saved);
    }
  }

  /** execve: runs the trace's copy of the executable, then puts back the recorded initial stack and registers. */
  private replayExec(ev: ExecEvent, entry: BigUint64Array): Stop | undefined {
    const task = this.task;
    const nr = Number(entry[R.orig_rax]);
    const argv = task.readStringArray(nr === SYS.execveat ? entry[R.rdx]! : entry[R.rsi]!);
    if (JSON.stringify(argv) !== JSON.stringify(ev.argv)) {
      throw this.diverge(`execve arguments differ: expected ${JSON.stringify(ev.argv)}, got ${JSON.stringify(argv)}`);
    }
    if (this.cursor.index > 1) this.pointExecAtCopy(ev, entry);
    task.toSyscallExit();
    let s = waitStop(task.tid);
    if (s.kind === 'event') {
      task.toSyscallExit();
      s = waitStop(task.tid);
    }
    if (s.kind !== 'syscall') throw this.diverge(`execve of ${ev.path}: expected its exit, got ${describeStop(s)}`);
    const result = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
    if (result !== 0n) throw new TraceeError(`cannot execute the trace's copy of ${ev.path} (errno ${-result})`);
    this.checkInterpreter(ev);
    prepareAfterExec(task, this.reader.meta.cpuidFaulting);
    task.write(ev.stackAddr, ev.stack);
    task.storeRegs(ev.regs);
    task.cont();
    return undefined;
  }

  /** The program's own execve: make it execute the trace's copy (the old image is discarded anyway). */
  private pointExecAtCopy(ev: ExecEvent, entry: BigUint64Array): void {
    const task = this.task;
    const path = new TextEncoder().encode(copyPath(this.reader.filesDir, ev.exe) + '\0');
    const stack = findMapping(readMaps(task.tid), '[stack]');
    const rsp = entry[R.rsp]!;
    if (!stack || rsp - stack.start < BigInt(path.length + 512)) throw new TraceeError('no room on the stack to exec the trace copy');
    const addr = stack.start;
    task.write(addr, path);
    const regs = entry.slice();
    if (Number(entry[R.orig_rax]) === SYS.execveat) {
      regs[R.rdi] = BigInt.asUintN(64, AT_FDCWD);
      regs[R.rsi] = addr;
      regs[R.r8] = 0n;
    } else {
      regs[R.rdi] = addr;
    }
    task.storeRegs(regs);
  }

  /** The kernel maps the program's interpreter (ld.so) from the live file system: it must be unchanged. */
  private checkInterpreter(ev: ExecEvent): void {
    if (!ev.interp) return;
    const maps = readMaps(this.task.tid);
    const m = maps.find((x) => x.name.startsWith('/') && !x.name.includes('/files/'));
    if (!m) throw this.diverge(`the interpreter ${ev.interp.path} was not mapped`);
    const st = statSync(mapFilesPath(this.task.tid, m), { bigint: true });
    if (st.size !== ev.interp.size || st.mtimeNs !== ev.interp.mtimeNs) {
      throw new TraceeError(`the program's interpreter ${ev.interp.path} changed since recording; replay needs the same one`);
    }
  }

  private onSignal(signo: number): void {
    const task = this.task;
    const regs = task.fetchRegs();
    if (this.resending && this.resending.signo === signo) {
      const ev = this.resending;
      this.resending = null;
      this.checkRegs(ev.regs, regs, `delivering ${signo}`, [R.orig_rax]);
      task.setSiginfo(ev.siginfo);
      task.cont(signo);
      return;
    }
    const siginfo = task.siginfo();
    const code = new DataView(siginfo.buffer, siginfo.byteOffset).getInt32(8, true);
    if (signo === SIG.SIGSEGV && code === SI_KERNEL) {
      const insn = decodeTrappedInsn(task, regs[R.rip]!);
      if (insn) {
        const ev = this.expectEvent('a trapped instruction');
        if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL) return;
        if (ev.kind !== 'insn' || ev.insn !== insn.insn) throw this.diverge(`expected ${describeEvent(ev)}, got a trapped instruction at 0x${regs[R.rip]!.toString(16)}`);
        this.checkRegs(ev.regs, regs, 'at a trapped instruction');
        this.cursor.take();
        applyInsnResult(regs, insn.insn, ev.out);
        task.storeRegs(regs);
        task.cont();
        return;
      }
    }
    const ev = this.expectEvent(`signal ${signo}`);
    if (ev.kind === 'exit' && ev.signal === SIG.SIGKILL) return;
    if (ev.kind !== 'signal' || ev.signo !== signo || !isSynchronous(signo, code)) {
      throw this.diverge(`expected ${describeEvent(ev)}, got signal ${signo} at 0x${regs[R.rip]!.toString(16)}`);
    }
    this.checkRegs(ev.regs, regs, `signal ${signo}`);
    this.cursor.take();
    task.setSiginfo(ev.siginfo);
    task.cont(signo);
  }

  private onExit(stop: Stop & { kind: 'exited' | 'killed' }): void {
    const code = stop.kind === 'exited' ? stop.code : null;
    const signal = stop.kind === 'killed' ? stop.signal : null;
    const ev = this.cursor.peek();
    if (!ev && this.cursor.truncated) {
      throw new TraceEndedEarly(`the trace ends early at event ${this.cursor.index} (the recording was interrupted)`);
    }
    if (!ev || ev.kind !== 'exit' || ev.code !== code || ev.signal !== signal) {
      throw this.diverge(`the program ended (${describeStop(stop)}) where the recording has ${ev ? describeEvent(ev) : 'no more events'}`);
    }
    this.cursor.take();
    this.outcome = { exitCode: code, exitSignal: signal, events: this.cursor.index };
  }
}
