// TEST-ONLY: an in-memory DebugTarget for the gdb layer's tests. Never use it outside tests.
// It "replays" a fixed history of program counters for one or more threads of one process:
// position 0..history.length-1; steps move one position, continues run to a breakpoint, a
// watched write, or an edge of history. Records every call in `calls`.

import { encodeRegisterFile, registerLayout } from '../register-layout.js';
import type {
  Breakpoint,
  BreakpointType,
  DebugTarget,
  RegisterSet,
  ResumeRequest,
  StopEvent,
  StopReason,
  TargetFile,
  ThreadId,
} from '../target.js';
import { TargetError } from '../target.js';

export interface ScriptedTargetOptions {
  pid?: number;
  /** Thread ids; the first is the main thread (default [pid]). */
  tids?: number[];
  /** rip at each position of history. */
  history: bigint[];
  /** Starting position (default 0). */
  start?: number;
  /** Readable memory. */
  memory?: { addr: bigint; data: Uint8Array }[];
  /** Position → address the program writes (8 bytes) when it arrives there. */
  writes?: Map<number, bigint>;
  registerSet?: RegisterSet;
  canReverse?: boolean;
  /** Running forward off the end exits with this status instead of stopping at replaylog:end. */
  exitStatus?: number;
  /** Continues never finish on their own: only interrupt() stops them. */
  hang?: boolean;
  monitor?: (command: string) => string;
  execFile?: string;
  auxv?: Uint8Array;
  librariesSvr4?: string;
  /**
   * Offer restart (vRun, extended mode): no argument goes back to `start`, `@N` to position N;
   * anything else is refused with errno 22.
   */
  restartable?: boolean;
  /** Files served through Host I/O (vFile), by path; others are ENOENT. */
  files?: Record<string, Uint8Array>;
  /** Symbolic links for vFile:readlink, by path; others are EINVAL. */
  links?: Record<string, string>;
}

const SIGTRAP = 5;
const SIGINT = 2;

export class ScriptedTarget implements DebugTarget {
  readonly calls: string[] = [];
  readonly registerSet: RegisterSet;
  readonly canReverse: boolean;
  readonly breakpoints;
  readonly inserted: Breakpoint[] = [];
  position: number;
  private readonly pid: number;
  private readonly tids: number[];
  private exited = false;
  private last: StopReason | null = null;
  private wake: ((stop: StopReason) => void) | null = null;

  constructor(private readonly opts: ScriptedTargetOptions) {
    this.pid = opts.pid ?? 4242;
    this.tids = opts.tids ?? [this.pid];
    this.position = opts.start ?? 0;
    this.registerSet = opts.registerSet ?? 'sse';
    this.canReverse = opts.canReverse ?? true;
    const types: BreakpointType[] = ['software', 'hardware', 'write', 'read', 'access'];
    this.breakpoints = {
      types,
      insert: (bp: Breakpoint) => {
        this.calls.push(`insert ${bp.type} ${bp.addr.toString(16)} ${bp.kind}`);
        this.inserted.push(bp);
      },
      remove: (bp: Breakpoint) => {
        this.calls.push(`remove ${bp.type} ${bp.addr.toString(16)} ${bp.kind}`);
        const i = this.inserted.findIndex((b) => b.type === bp.type && b.addr === bp.addr);
        if (i >= 0) this.inserted.splice(i, 1);
      },
    };
    if (opts.monitor) this.monitor = opts.monitor;
    if (opts.execFile !== undefined) this.execFile = () => opts.execFile!;
    if (opts.auxv !== undefined) this.auxv = () => opts.auxv!;
    if (opts.librariesSvr4 !== undefined) this.librariesSvr4 = () => opts.librariesSvr4!;
    if (opts.restartable) this.restart = (program, args) => this.restartAt(program, args);
    if (opts.files !== undefined) this.openFile = (path) => this.fileAt(path, opts.files!);
    if (opts.links !== undefined) {
      this.readLink = (path) => {
        const to = opts.links![path];
        if (to === undefined) throw new TargetError(`${path} is not a link`, 22);
        return to;
      };
    }
  }

  openFile?: (path: string) => TargetFile;
  readLink?: (path: string) => string;

  restart?: (program: string, args: readonly string[]) => StopReason;

  monitor?: (command: string) => string;
  execFile?: (pid: number) => string;
  auxv?: (pid: number) => Uint8Array;
  librariesSvr4?: (pid: number) => string;

  get rip(): bigint {
    return this.opts.history[this.position]!;
  }

  threads(): ThreadId[] {
    return this.exited ? [] : this.tids.map((tid) => ({ pid: this.pid, tid }));
  }

  currentStop(): StopReason {
    return this.last ?? this.trap();
  }

  readRegisters(thread: ThreadId): Uint8Array {
    this.calls.push(`readRegisters ${thread.tid}`);
    if (!this.tids.includes(thread.tid)) throw new TargetError('no such thread', 3);
    return encodeRegisterFile(registerLayout(this.registerSet), {
      rax: BigInt(this.position),
      rbx: BigInt(thread.tid),
      rsp: 0x7ffffffde000n,
      rip: this.rip,
      eflags: 0x246n,
      cs: 0x33n,
      ss: 0x2bn,
      fctrl: 0x37fn,
      mxcsr: 0x1f80n,
    });
  }

  readMemory(_thread: ThreadId, addr: bigint, length: number): Uint8Array {
    this.calls.push(`readMemory ${addr.toString(16)} ${length}`);
    const out: number[] = [];
    let at = addr;
    while (out.length < length) {
      const region = (this.opts.memory ?? []).find((r) => at >= r.addr && at < r.addr + BigInt(r.data.length));
      if (region === undefined) break;
      const from = Number(at - region.addr);
      const take = Math.min(length - out.length, region.data.length - from);
      out.push(...region.data.subarray(from, from + take));
      at += BigInt(take);
    }
    return Uint8Array.from(out);
  }

  resume(req: ResumeRequest): Promise<StopReason> {
    const who = req.thread === null ? 'all' : String(req.thread.tid);
    this.calls.push(`resume ${req.direction} ${req.mode} ${who}${req.othersRun ? ' +others' : ''} sig=${req.signal}`);
    if (req.mode === 'continue' && this.opts.hang) {
      return new Promise<StopReason>((resolve) => (this.wake = resolve)).then((s) => (this.last = s));
    }
    // Settle asynchronously, as a real engine would.
    return new Promise((resolve) => setImmediate(() => resolve((this.last = this.run(req)))));
  }

  interrupt(): void {
    this.calls.push('interrupt');
    const wake = this.wake;
    this.wake = null;
    wake?.({ kind: 'signal', thread: this.mainThread(), signal: SIGINT });
  }

  detach(): void {
    this.calls.push('detach');
  }

  kill(): void {
    this.calls.push('kill');
    this.exited = true;
  }

  private restartAt(program: string, args: readonly string[]): StopReason {
    this.calls.push(`restart ${JSON.stringify(program)} ${JSON.stringify(args)}`);
    const m = args.length === 1 ? /^@(\d+)$/.exec(args[0]!) : null;
    const to = args.length === 0 ? this.opts.start ?? 0 : m ? Number(m[1]) : -1;
    if (to < 0 || to >= this.opts.history.length) throw new TargetError(`cannot restart at ${args.join(' ')}`, 22);
    this.position = to;
    this.exited = false;
    this.inserted.length = 0;
    return (this.last = this.trap());
  }

  private fileAt(path: string, files: Record<string, Uint8Array>): TargetFile {
    this.calls.push(`openFile ${path}`);
    const data = files[path];
    if (data === undefined) throw new TargetError(`no file ${path}`, 2);
    return { size: data.length, mtime: 1_700_000_000, read: (offset, length) => data.slice(offset, offset + length) };
  }

  private mainThread(): ThreadId {
    return { pid: this.pid, tid: this.tids[0]! };
  }

  private trap(event?: StopEvent): StopReason {
    const stop: StopReason = { kind: 'signal', thread: this.mainThread(), signal: SIGTRAP };
    return event === undefined ? stop : { ...stop, event };
  }

  private run(req: ResumeRequest): StopReason {
    const last = this.opts.history.length - 1;
    const delta = req.direction === 'forward' ? 1 : -1;
    for (;;) {
      const next = this.position + delta;
      if (next < 0) return this.trap({ type: 'replaylog', edge: 'begin' });
      if (next > last) {
        if (this.opts.exitStatus === undefined) return this.trap({ type: 'replaylog', edge: 'end' });
        this.exited = true;
        return { kind: 'exited', pid: this.pid, status: this.opts.exitStatus };
      }
      this.position = next;
      if (req.mode === 'step') return this.trap();
      const bp = this.inserted.find((b) => (b.type === 'software' || b.type === 'hardware') && b.addr === this.rip);
      if (bp !== undefined) return this.trap({ type: bp.type === 'software' ? 'swbreak' : 'hwbreak' });
      const written = this.opts.writes?.get(req.direction === 'forward' ? this.position : this.position + 1);
      const watch = this.inserted.find(
        (b) => (b.type === 'write' || b.type === 'access') && written !== undefined &&
          written < b.addr + BigInt(b.kind) && b.addr < written + 8n,
      );
      if (watch !== undefined && written !== undefined) {
        return this.trap({ type: 'watch', access: watch.type === 'write' ? 'write' : 'access', addr: watch.addr });
      }
    }
  }
}
