// Replay debugging: the replay as a gdb DebugTarget. Reads come from the live replayed process;
// writes are refused (replay must stay the recording). Breakpoints and watchpoints are the set gdb
// inserted; each resume arms them for that run only. Reverse requests go to the timeline. gdb's
// `run` in extended mode (restart) goes to the start, a checkpoint (cN) or an event (eN). Files gdb
// asks for (vFile) come from the recording (program-files.ts).
import { basename } from 'node:path';
import type {
  Breakpoint, BreakpointSupport, DebugTarget, ResumeRequest, StopReason, TargetFile, ThreadId,
} from '../../gdb/index.js';
import { TargetError } from '../../gdb/index.js';
import { E } from '../../kernel/errno.js';
import { SIG } from '../../kernel/signals.js';
import { TrappedInsn } from '../../trace/events.js';
import { inSyscallbufCode } from '../../syscallbuf/blob.js';
import { atPatchedSite } from './syscallbuf-frame.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import { copyPath } from '../trace-files.js';
import { gdbRegisterFile, machineRegisterSet } from './gdb-registers.js';
import { slotsNeeded, SLOT_COUNT } from './hw-slots.js';
import { librariesSvr4 } from './libraries.js';
import { boundary, describeMark, sameWatch, type Mark, type Watch } from './marks.js';
import { ProgramFiles } from './program-files.js';
import { parseRestartPoint } from './restart-point.js';
import type { EngineStop, Timeline } from './timeline.js';

const { SIGTRAP, SIGINT } = SIG;
const { EIO, EINVAL } = E;

const MONITOR_HELP = `rewind monitor commands:
  when            the current event number
  checkpoint      remember this point; prints its number
  restart N       go back (or forward) to checkpoint N (with target extended-remote: run cN)
  info checkpoints [N]
                  the checkpoints (all of them: and the restore points kept, and what
                  software watchpoints cost so far: faults, hits, mprotects, time)
  help
`;

export class ReplayTarget implements DebugTarget {
  readonly registerSet = machineRegisterSet();
  readonly canReverse = true;
  readonly breakpoints: BreakpointSupport;
  /** Software breakpoints (int3) and hardware ones (debug-register execute slots), by address, with a count. */
  private readonly codeBreaks = new Map<bigint, number>();
  private readonly hardBreaks = new Map<bigint, number>();
  private watches: Watch[] = [];
  private readonly saved: Mark[] = [];
  /** Why a failed resume left the replay somewhere unknown (then every later resume is refused). */
  private broken: string | null = null;
  private readonly files: ProgramFiles;
  /** Breakpoints already said to be left out at a resume (each said once). */
  private readonly leftOut = new Set<bigint>();

  /**
   * report: a line for the debugger's user (rewind's stderr), for what gdb would not show: a
   * breakpoint gdb inserted before rewind patched the code under it, left out of every resume.
   */
  constructor(private readonly tl: Timeline, private readonly reader: TraceReader, private readonly report: (line: string) => void = () => {}) {
    this.files = new ProgramFiles(tl, reader);
    this.breakpoints = {
      types: ['software', 'hardware', 'write', 'read', 'access'],
      insert: (bp) => this.insert(bp),
      remove: (bp) => this.remove(bp),
    };
  }

  threads(): ThreadId[] {
    return this.tl.threads().map((tid) => ({ pid: this.tl.pid, tid }));
  }

  currentStop(): StopReason {
    return this.reason(this.tl.lastStop);
  }

  readRegisters(thread: ThreadId): Uint8Array {
    const task = this.tl.stoppedTask(thread.tid);
    const regs = atPatchedSite(task.fetchRegs(), this.tl.patchedCode(thread.tid), (addr) => task.readPartial(addr, 8));
    return gdbRegisterFile(task, this.registerSet, regs);
  }

  readMemory(thread: ThreadId, addr: bigint, length: number): Uint8Array {
    const data = this.tl.task(thread.tid).readPartial(addr, length);
    if (data.length === 0 && length > 0) throw new TargetError(`cannot read memory at 0x${addr.toString(16)}`, EIO);
    return this.tl.patchedCode(thread.tid).originalView(addr, data); // gdb sees the program's own instructions
  }

  async resume(req: ResumeRequest): Promise<StopReason> {
    // A breakpoint inserted before the code under it was patched (a library loaded later) can never be
    // reached: it is left out, said once, rather than failing every resume (gdb would retry forever).
    const placeable = (addr: bigint): boolean => {
      try {
        this.checkBreakpointPlace(addr);
        return true;
      } catch (e) {
        if (!this.leftOut.has(addr)) this.report(`rewind: ${e instanceof Error ? e.message : String(e)} (left out)`);
        this.leftOut.add(addr);
        return false;
      }
    };
    const hardware = [...this.hardBreaks.keys()].filter(placeable);
    const spec = { breakpoints: [...new Set([...[...this.codeBreaks.keys()].filter(placeable), ...hardware])], watches: [...this.watches], hardware };
    if (this.broken !== null) {
      throw new TargetError(`the replay is in an unknown state since an earlier error (${this.broken}); start rewind replay again`);
    }
    const here = this.tl.mark;
    const last = this.tl.lastStop;
    let stop: EngineStop;
    try {
      if (req.direction === 'forward') {
        stop = await this.tl.forward(spec, req.mode === 'step' ? this.stepping(req) : null);
      } else if (req.mode === 'step') {
        stop = await this.tl.reverseStep(this.stepping(req));
      } else {
        stop = await this.tl.reverseContinue(spec);
      }
    } catch (e) {
      // Go back to where gdb thinks the replay is; if even that fails, refuse to go on rather than
      // show gdb a state it did not ask for.
      const why = e instanceof Error ? e.message : String(e);
      try {
        await this.tl.seek(here);
        this.tl.lastStop = last;
      } catch {
        this.broken = why;
      }
      throw new TargetError(why);
    }
    return this.reason(stop);
  }

  interrupt(): void {
    this.tl.interrupt();
  }

  detach(): void {
    this.tl.close();
  }

  kill(): void {
    this.tl.close();
  }

  auxv(): Uint8Array {
    // The recorded initial stack: argc, argv…, 0, envp…, 0, then the auxv pairs up to AT_NULL.
    const ev = this.tl.execEvent();
    const v = new DataView(ev.stack.buffer, ev.stack.byteOffset, ev.stack.byteLength);
    let off = 8 + 8 * (Number(v.getBigUint64(0, true)) + 1);
    while (v.getBigUint64(off, true) !== 0n) off += 8;
    const start = off + 8;
    let end = start;
    while (end + 16 <= ev.stack.length && v.getBigUint64(end, true) !== 0n) end += 16;
    return ev.stack.slice(start, end + 16);
  }

  librariesSvr4(): string {
    return librariesSvr4(this.tl.task(this.tl.threads()[0] ?? this.tl.pid), this.auxv(), (f) => this.files.recordedName(f));
  }

  /** The recorded path: gdb reads the file through openFile, from the trace's copy. */
  execFile(): string {
    return this.tl.execEvent().exe.path;
  }

  /** The trace's copy of the executable, for a gdb started on this machine. */
  localExecutable(): string {
    return copyPath(this.reader.filesDir, this.tl.execEvent().exe);
  }

  openFile(path: string): TargetFile {
    return this.files.open(path);
  }

  readLink(path: string): string {
    return this.files.readLink(path);
  }

  threadInfo(thread: ThreadId): string {
    return thread.tid === this.tl.pid ? 'main thread' : `thread ${thread.tid}`;
  }

  async monitor(command: string): Promise<string> {
    const [word, arg, n] = command.trim().split(/\s+/);
    switch (word) {
      case 'when':
        return `Current event: ${this.tl.eventIndex}\n`;
      case 'checkpoint':
        this.saved.push(this.tl.mark);
        return `Checkpoint ${this.saved.length} at ${describeMark(this.tl.mark)}\n`;
      case 'restart': {
        const n = Number(arg);
        await this.goTo(this.checkpoint(n, arg ?? ''));
        return `Restarted at checkpoint ${n}, event ${this.tl.eventIndex} (make gdb forget what it read: maintenance flush register-cache, maintenance flush dcache)\n`;
      }
      case 'info':
        if (arg !== undefined && !/^checkpoints?$/.test(arg)) throw new TargetError(`monitor info knows only checkpoints, not ${arg}`, EINVAL);
        if (n !== undefined) return `${n}: ${describeMark(this.checkpoint(Number(n), n))}\n`;
        return (this.saved.map((m, i) => `${i + 1}: ${describeMark(m)}\n`).join('') || 'No checkpoints.\n')
          + `${this.tl.checkpoints.describe()}\n`
          + `${this.tl.watchCost() ?? 'Watchpoints and hbreak: debug registers'}\n`;
      case 'help':
      case undefined:
        return MONITOR_HELP;
      default:
        throw new TargetError(`unknown monitor command ${word} (monitor help lists them)`);
    }
  }

  /** gdb's `run` (vRun): nothing → the start of the history, cN → checkpoint N, eN → event N. */
  async restart(_program: string, args: readonly string[]): Promise<StopReason> {
    const exec = this.tl.execEvent();
    const names = [exec.path, basename(exec.path), exec.argv[0] ?? '', this.execFile(), this.localExecutable()].filter((n) => n !== '');
    const point = parseRestartPoint(args, names);
    if (typeof point === 'string') throw new TargetError(point, EINVAL);
    let mark: Mark;
    if (point.kind === 'checkpoint') mark = this.checkpoint(point.n, String(point.n));
    else if (point.kind === 'start') mark = boundary(this.tl.beginEvent);
    else {
      const last = this.reader.meta.end?.events;
      if (point.n < this.tl.beginEvent || (last !== undefined && point.n >= last)) {
        throw new TargetError(`no event ${point.n} in process ${this.tl.pid}'s history (it starts at event ${this.tl.beginEvent}${last === undefined ? '' : `, the trace has ${last}`})`, EINVAL);
      }
      mark = boundary(point.n);
    }
    // gdb forgot its breakpoints with the killed process and inserts them again.
    this.codeBreaks.clear();
    this.watches = [];
    await this.goTo(mark);
    return this.reason(this.tl.lastStop);
  }

  private checkpoint(n: number, typed: string): Mark {
    const mark = Number.isInteger(n) && n >= 1 ? this.saved[n - 1] : undefined;
    if (!mark) throw new TargetError(`no checkpoint ${typed} (monitor checkpoint makes one; monitor info lists them)`, EINVAL);
    return mark;
  }

  /** Moves the replay to `mark` (an event boundary: see Timeline.seekEvent); if that fails, back to where it was. */
  private async goTo(mark: Mark): Promise<void> {
    const from = this.tl.mark;
    try {
      if (mark.ops.length === 0) await this.tl.seekEvent(mark.event);
      else await this.tl.seek(mark);
    } catch (e) {
      await this.tl.seek(from).catch(() => {});
      throw new TargetError(`cannot go to ${describeMark(mark)}: ${e instanceof Error ? e.message : String(e)}`, EIO);
    }
    this.tl.lastStop = { kind: 'step', recTid: this.tl.threads()[0] ?? this.tl.pid };
  }

  private stepping(req: ResumeRequest): number {
    return req.thread?.tid ?? this.tl.threads()[0] ?? this.tl.pid;
  }

  /**
   * A breakpoint inside a site rewind patched into a jump to a stub (a libc wrapper's `mov $NR,%eax;
   * syscall…` sent to the syscall buffer, a cpuid and its neighbours sent to the in-process CPUID: no
   * int3 past the jump would ever be reached), or inside the buffer's own code, is refused with one
   * line, never left silently unhit.
   */
  private checkBreakpointPlace(addr: bigint): void {
    if (inSyscallbufCode(addr)) throw new TargetError(`no breakpoint at 0x${addr.toString(16)}: that is rewind's syscall buffer code, not the program's`);
    for (const tid of this.tl.threads()) {
      const site = this.tl.patchedCode(tid).stubSiteInside(addr);
      if (site) {
        const what = site.insn === TrappedInsn.CpuidCall ? 'the cpuid' : 'the syscall wrapper';
        throw new TargetError(`no breakpoint at 0x${addr.toString(16)}: rewind replaced ${what} at 0x${site.addr.toString(16)} `
          + `by a jump to its syscall buffer, so execution never reaches that address; break at 0x${site.addr.toString(16)}, or record with --no-syscall-buffer`);
      }
      break; // the threads of one process share their code
    }
  }

  private insert(bp: Breakpoint): void {
    if (bp.type === 'software' || bp.type === 'hardware') this.checkBreakpointPlace(bp.addr);
    if (bp.type === 'software') {
      this.codeBreaks.set(bp.addr, (this.codeBreaks.get(bp.addr) ?? 0) + 1);
      return;
    }
    if (bp.type === 'hardware') {
      // Software watchpoints (no working debug registers): hbreak is an int3, without a limit.
      if (!this.tl.softwareWatch && !this.hardBreaks.has(bp.addr) && slotsNeeded(this.watches, this.hardBreaks.size + 1) > SLOT_COUNT) {
        throw new TargetError(`no debug register left for a hardware breakpoint (x86 has ${SLOT_COUNT})`, 28);
      }
      this.hardBreaks.set(bp.addr, (this.hardBreaks.get(bp.addr) ?? 0) + 1);
      return;
    }
    const w: Watch = { addr: bp.addr, len: bp.kind, kind: bp.type };
    if (bp.kind < 1 || bp.kind > 4096) throw new TargetError(`cannot watch ${bp.kind} bytes`);
    if (this.watches.some((x) => sameWatch(x, w))) return;
    if (!this.tl.softwareWatch && slotsNeeded([...this.watches, w], this.hardBreaks.size) > SLOT_COUNT) {
      throw new TargetError(`no debug register left for a ${bp.kind}-byte watchpoint (x86 has ${SLOT_COUNT})`, 28);
    }
    this.watches.push(w);
  }

  private remove(bp: Breakpoint): void {
    if (bp.type === 'software' || bp.type === 'hardware') {
      const map = bp.type === 'software' ? this.codeBreaks : this.hardBreaks;
      const n = (map.get(bp.addr) ?? 0) - 1;
      if (n > 0) map.set(bp.addr, n);
      else map.delete(bp.addr);
      return;
    }
    this.watches = this.watches.filter((x) => !sameWatch(x, { addr: bp.addr, len: bp.kind, kind: bp.type as Watch['kind'] }));
  }

  private reason(stop: EngineStop): StopReason {
    const thread = { pid: this.tl.pid, tid: stop.recTid };
    switch (stop.kind) {
      case 'breakpoint': return { kind: 'signal', thread, signal: SIGTRAP, event: { type: this.hardBreaks.has(stop.addr) ? 'hwbreak' : 'swbreak' } };
      case 'watch': return { kind: 'signal', thread, signal: SIGTRAP, event: { type: 'watch', access: stop.watch.kind, addr: stop.watch.addr } };
      case 'step': return { kind: 'signal', thread, signal: SIGTRAP };
      case 'signal': return { kind: 'signal', thread, signal: stop.signo };
      case 'interrupt': return { kind: 'signal', thread, signal: SIGINT };
      case 'history': return { kind: 'signal', thread, signal: SIGTRAP, event: { type: 'replaylog', edge: stop.edge } };
    }
  }
}
