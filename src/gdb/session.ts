// gdb layer: the dispatcher. Maps each parsed request to DebugTarget calls and builds the reply
// payloads; keeps the per-connection protocol state (selected threads, negotiated features, last
// stop). Transport-free: connection.ts feeds it packets. Never throws: target errors become `E NN`.
// Imports nothing from rewind outside src/gdb.

import { concatBytes, escapeBinary, hexByte, hexEncodeText, latin1Bytes, toHex } from './encoding.js';
import { ExtendedMode } from './extended-mode.js';
import { HostIo } from './host-io.js';
import { registerLayout, type RegisterLayout } from './register-layout.js';
import type { Request } from './requests.js';
import { parseRequest } from './parse-request.js';
import { normalizeResume } from './resume.js';
import { formatStopReply } from './stop-reply.js';
import { targetDescription } from './target-description.js';
import { TargetError, type DebugTarget, type StopReason, type ThreadId } from './target.js';
import { formatThreadId, selects, specificThread, type ThreadSelector } from './thread-id.js';
import { XferObjects, xferObjects } from './xfer.js';

export const DEFAULT_PACKET_SIZE = 0x4000;
const SIGKILL = 9;

export interface SessionOptions {
  /** PacketSize advertised in qSupported (bytes of packet data we accept); default 0x4000. */
  packetSize?: number;
  /** Offer the multiprocess extensions (pPID.TID ids); default true. */
  multiprocess?: boolean;
  /** Diagnostics (malformed packets, target errors). */
  log?: (line: string) => void;
  /**
   * Messages for the person at gdb that gdb cannot show: why a vRun failed (gdb prints only
   * "Running the default executable on the remote target failed").
   */
  report?: (line: string) => void;
}

export interface SessionReply {
  /** Packet payloads to send, in order (binary parts already escaped). */
  packets: Uint8Array[];
  /** The client detached or killed: close the connection after sending. */
  end?: 'detach' | 'kill';
  /** Stop expecting and sending acks after these packets (QStartNoAckMode). */
  startNoAck?: boolean;
}

const ANY: ThreadSelector = { pid: 'current', tid: 'any' };
const text = (...payloads: string[]): SessionReply => ({ packets: payloads.map(latin1Bytes) });
const EMPTY = (): SessionReply => text('');

export class GdbSession {
  readonly packetSize: number;
  private readonly layout: RegisterLayout;
  private readonly xfer: XferObjects;
  private readonly hostIo: HostIo;
  private readonly offerMultiprocess: boolean;
  private readonly log: (line: string) => void;
  private readonly report: (line: string) => void;
  private multiprocess = false;
  private swbreak = false;
  private hwbreak = false;
  private lastStop: StopReason | null = null;
  private generalThread: ThreadSelector = ANY;
  private continueThread: ThreadSelector = ANY;
  private pendingThreadList: string[] = [];
  private resuming = false;
  private interruptPending = false;
  private readonly extended = new ExtendedMode();

  constructor(
    private readonly target: DebugTarget,
    opts: SessionOptions = {},
  ) {
    this.packetSize = Math.max(256, Math.min(opts.packetSize ?? DEFAULT_PACKET_SIZE, 1 << 20));
    this.offerMultiprocess = opts.multiprocess ?? true;
    this.log = opts.log ?? (() => {});
    this.report = opts.report ?? (() => {});
    this.layout = registerLayout(target.registerSet ?? 'sse');
    this.xfer = new XferObjects(target, targetDescription(this.layout.set), this.packetSize);
    this.hostIo = new HostIo(target, this.packetSize, this.log);
  }

  /** The client asked for extended mode (`!`); the server then ends when it hangs up. */
  get extendedMode(): boolean {
    return this.extended.enabled;
  }

  /** True while a resume is in progress (^C should interrupt it). */
  get running(): boolean {
    return this.resuming;
  }

  /** ^C from gdb: interrupt the resume in progress, or the next one if it has not started yet. */
  interrupt(): void {
    if (this.resuming) this.interruptTarget();
    else this.interruptPending = true;
  }

  /** target.interrupt() runs from socket callbacks: a throw must not escape there. */
  private interruptTarget(): void {
    try {
      this.target.interrupt();
    } catch (err) {
      this.log(`gdb: interrupt failed: ${String(err)}`);
    }
  }

  /** Drop an interrupt that arrived when nothing was about to run. */
  clearPendingInterrupt(): void {
    this.interruptPending = false;
  }

  /** Handles one packet's data; always resolves. */
  async handle(data: Uint8Array): Promise<SessionReply> {
    const request = parseRequest(data);
    try {
      return await this.dispatch(request);
    } catch (err) {
      this.log(`gdb: ${request.kind} failed: ${errorMessage(err)}`);
      if (request.kind === 'run') this.report(`rewind: run: ${errorMessage(err)}`);
      // gdb shows only "Cannot insert breakpoint N": say why where its user reads.
      if (request.kind === 'breakpoint' && request.insert) this.report(`rewind: ${errorMessage(err)}`);
      return text(errorCode(err));
    }
  }

  private async dispatch(req: Request): Promise<SessionReply> {
    const t = this.target;
    switch (req.kind) {
      case 'query-supported':
        return text(this.supported(req.features));
      case 'start-no-ack':
        return { ...text('OK'), startNoAck: true };
      case 'stop-reason': {
        const stop = await this.stop();
        if (stop.kind === 'signal') this.generalThread = exact(stop.thread);
        return text(this.formatStop(stop));
      }
      case 'read-registers': {
        const file = await t.readRegisters(await this.thread(this.generalThread));
        return text(toHex(file.subarray(0, this.layout.size)));
      }
      case 'read-register': {
        const reg = this.layout.registers[req.regnum];
        if (reg === undefined) return text('E01');
        const file = await t.readRegisters(await this.thread(this.generalThread));
        if (file.length < reg.offset + reg.size) return text('xx'.repeat(reg.size));
        return text(toHex(file.subarray(reg.offset, reg.offset + reg.size)));
      }
      case 'write-registers':
      case 'write-register':
        return this.writeRegisters(req);
      case 'read-memory':
        return this.readMemory(req.addr, req.length, req.binary);
      case 'write-memory':
        if (!t.writeMemory) return text('E01');
        await t.writeMemory(await this.thread(this.generalThread), req.addr, req.data);
        return text('OK');
      case 'set-thread':
        if (typeof req.thread.tid === 'number' && !(await this.alive(req.thread))) return text('E01');
        if (req.op === 'g') this.generalThread = req.thread;
        else this.continueThread = req.thread;
        return text('OK');
      case 'thread-alive':
        return text((await this.alive(req.thread)) ? 'OK' : 'E01');
      case 'resume':
        return this.resume(req);
      case 'vcont-query':
        return text('vCont;c;C;s;S;t');
      case 'breakpoint': {
        const bps = t.breakpoints;
        if (!bps || !bps.types.includes(req.breakpoint.type)) return EMPTY();
        await (req.insert ? bps.insert(req.breakpoint) : bps.remove(req.breakpoint));
        return text('OK');
      }
      case 'xfer-read': {
        const pid = await this.currentPid();
        const r = await this.xfer.read(req.object, req.annex, req.offset, req.length, pid);
        return r.type === 'data' ? { packets: [r.reply] } : r.type === 'error' ? text(r.code) : EMPTY();
      }
      case 'thread-list':
        return this.threadList(req.first);
      case 'current-thread': {
        const thread = await this.defaultThread();
        return text(thread === null ? 'E01' : `QC${formatThreadId(thread, this.multiprocess)}`);
      }
      case 'attached':
        return text('1');
      case 'symbol':
        return text('OK');
      case 'monitor':
        return this.monitor(req.command);
      case 'thread-extra-info': {
        if (!t.threadInfo) return EMPTY();
        const thread = specificThread(req.thread, await this.currentPid());
        return text(thread === null ? 'E01' : hexEncodeText(await t.threadInfo(thread)));
      }
      case 'detach':
        await t.detach();
        return { ...text('OK'), end: 'detach' };
      case 'kill':
        return this.kill(req.pid, req.reply);
      case 'extended-mode':
        if (!t.restart) return EMPTY();
        this.extended.enabled = true;
        return text('OK');
      case 'run':
        return this.run(req.program, req.args);
      case 'host-io': {
        if (!this.hostIo.supported) return EMPTY();
        const reply = await this.hostIo.handle(req.request, () => this.currentPid());
        return reply === null ? EMPTY() : { packets: [reply] };
      }
      case 'unsupported':
        return EMPTY();
      case 'malformed':
        this.log(`gdb: malformed packet: ${req.reason}`);
        return text('E01');
    }
  }

  private supported(client: ReadonlyMap<string, string>): string {
    this.multiprocess = this.offerMultiprocess && client.get('multiprocess') === '+';
    this.swbreak = client.get('swbreak') === '+';
    this.hwbreak = client.get('hwbreak') === '+';
    const features = [
      `PacketSize=${this.packetSize.toString(16)}`,
      'QStartNoAckMode+',
      ...xferObjects(this.target).map((o) => `qXfer:${o}:read+`),
      'swbreak+',
      'hwbreak+',
      'vContSupported+',
    ];
    if (this.offerMultiprocess) features.push('multiprocess+');
    if (this.target.canReverse) features.push('ReverseContinue+', 'ReverseStep+');
    return features.join(';');
  }

  private formatStop(stop: StopReason): string {
    return formatStopReply(stop, { multiprocess: this.multiprocess, swbreak: this.swbreak, hwbreak: this.hwbreak });
  }

  private async stop(): Promise<StopReason> {
    this.lastStop ??= await this.target.currentStop();
    return this.lastStop;
  }

  private async threads(): Promise<readonly ThreadId[]> {
    return this.extended.processGone ? [] : this.target.threads();
  }

  private async currentPid(): Promise<number> {
    const stop = await this.stop();
    if (stop.kind === 'signal') return stop.thread.pid;
    return stop.pid;
  }

  /** The last stop's thread if it is alive, else the first thread, else null. */
  private async defaultThread(): Promise<ThreadId | null> {
    const stop = await this.stop();
    const threads = await this.threads();
    if (stop.kind === 'signal' && threads.some((th) => sameThread(th, stop.thread))) return stop.thread;
    return threads[0] ?? null;
  }

  private async alive(sel: ThreadSelector): Promise<boolean> {
    const pid = await this.currentPid();
    return (await this.threads()).some((th) => selects(sel, th, pid));
  }

  /** The thread a selection means for register and memory access. */
  private async thread(sel: ThreadSelector): Promise<ThreadId> {
    if (this.extended.processGone) throw new TargetError('the program was killed (run starts it again)');
    const named = specificThread(sel, await this.currentPid());
    const thread = named ?? (await this.defaultThread());
    if (thread === null) throw new TargetError('the process has no threads');
    return thread;
  }

  private async readMemory(addr: bigint, length: number, binary: boolean): Promise<SessionReply> {
    // One reply packet at most, and no wrap past the top of the address space.
    let want = Math.min(length, binary ? this.packetSize - 1 : Math.floor(this.packetSize / 2));
    const room = 2n ** 64n - addr;
    if (BigInt(want) > room) want = Number(room);
    if (want === 0) return text(binary ? 'b' : '');
    const data = await this.target.readMemory(await this.thread(this.generalThread), addr, want);
    if (data.length === 0) return text('E01');
    if (!binary) return text(toHex(data.subarray(0, want)));
    const { escaped } = escapeBinary(data.subarray(0, want), this.packetSize - 2);
    return { packets: [concatBytes(latin1Bytes('b'), escaped)] };
  }

  private async writeRegisters(req: Extract<Request, { kind: 'write-registers' | 'write-register' }>): Promise<SessionReply> {
    const t = this.target;
    if (req.kind === 'write-register' && this.extended.dropsRegisterWrite(this.layout.registers[req.regnum], req.data)) {
      return text('OK');
    }
    if (!t.writeRegisters) return text('E01');
    const thread = await this.thread(this.generalThread);
    const file = new Uint8Array(this.layout.size);
    file.set((await t.readRegisters(thread)).subarray(0, this.layout.size));
    if (req.kind === 'write-registers') {
      if (req.data.length > this.layout.size) return text('E01');
      file.set(req.data);
    } else {
      const reg = this.layout.registers[req.regnum];
      if (reg === undefined || req.data.length !== reg.size) return text('E01');
      file.set(req.data, reg.offset);
    }
    await t.writeRegisters(thread, file);
    return text('OK');
  }

  private async resume(req: Extract<Request, { kind: 'resume' }>): Promise<SessionReply> {
    if (this.extended.processGone) {
      this.log('gdb: cannot resume: the program was killed (run starts it again)');
      return text('E01');
    }
    if (req.direction === 'backward' && !this.target.canReverse) return EMPTY();
    const request = normalizeResume(req.direction, req.actions, req.legacy, {
      continueThread: this.continueThread,
      // A legacy step (s, bs) with Hc "any" steps the thread gdb selected with Hg, as gdbserver does.
      defaultThread: (await this.alive(this.generalThread)) ? await this.thread(this.generalThread) : await this.defaultThread(),
      currentPid: await this.currentPid(),
    });
    if (typeof request === 'string') {
      this.log(`gdb: cannot resume: ${request}`);
      return text('E01');
    }
    const here = await this.stop();
    if (this.extended.takeHeldContinue(request) && here.kind === 'signal') {
      // Signal 0: gdb says "Program stopped." and shows where the restart went.
      this.lastStop = { kind: 'signal', thread: here.thread, signal: 0 };
      return text(this.formatStop(this.lastStop));
    }
    this.xfer.invalidate();
    this.resuming = true;
    let stop: StopReason;
    try {
      const pending = this.target.resume(request);
      if (this.interruptPending) this.interruptTarget();
      stop = await pending;
    } finally {
      this.resuming = false;
      this.interruptPending = false;
    }
    this.lastStop = stop;
    if (stop.kind === 'signal') this.generalThread = exact(stop.thread);
    return text(this.formatStop(stop));
  }

  /** k / vKill: ends serving, except in extended mode, where the program waits for a vRun. */
  private async kill(pid: number | null, reply: boolean): Promise<SessionReply> {
    const current = await this.currentPid();
    if (pid !== null && pid !== current) {
      this.log(`gdb: cannot kill process ${pid.toString(16)}: the program is ${current.toString(16)}`);
      return text('E01');
    }
    const ok = reply ? [latin1Bytes('OK')] : [];
    if (!this.extended.enabled) {
      await this.target.kill();
      return { packets: ok, end: 'kill' };
    }
    this.extended.killed();
    this.lastStop = { kind: 'terminated', pid: current, signal: SIGKILL };
    return { packets: ok };
  }

  /** vRun: the target restarts where the arguments say; the reply is the stop there. */
  private async run(program: string, args: readonly string[]): Promise<SessionReply> {
    const t = this.target;
    if (!t.restart) return EMPTY();
    if (!this.extended.enabled) {
      this.log('gdb: vRun needs extended mode (target extended-remote)');
      return text('E01');
    }
    this.xfer.invalidate();
    const stop = await t.restart(program, args);
    this.extended.restarted();
    this.lastStop = stop;
    this.generalThread = stop.kind === 'signal' ? exact(stop.thread) : ANY;
    this.continueThread = ANY;
    return text(this.formatStop(stop));
  }

  private async threadList(first: boolean): Promise<SessionReply> {
    if (first) {
      const ids = (await this.threads()).map((th) => formatThreadId(th, this.multiprocess));
      this.pendingThreadList = [];
      let chunk = '';
      for (const id of ids) {
        if (chunk !== '' && chunk.length + id.length + 2 > this.packetSize) {
          this.pendingThreadList.push(chunk);
          chunk = '';
        }
        chunk += (chunk === '' ? '' : ',') + id;
      }
      if (chunk !== '') this.pendingThreadList.push(chunk);
    }
    const next = this.pendingThreadList.shift();
    return text(next === undefined ? 'l' : `m${next}`);
  }

  /** Output as O packets, then OK; a failure's message too (gdb prints it), then E NN. */
  private async monitor(command: string): Promise<SessionReply> {
    if (!this.target.monitor) return EMPTY();
    let output: string;
    let status = 'OK';
    try {
      output = await this.target.monitor(command);
    } catch (err) {
      this.log(`gdb: monitor ${command} failed: ${errorMessage(err)}`);
      output = `${errorMessage(err)}\n`;
      status = errorCode(err);
    }
    const packets: Uint8Array[] = [];
    const hex = hexEncodeText(output);
    const step = (this.packetSize - 2) & ~1;
    for (let i = 0; i < hex.length; i += step) packets.push(latin1Bytes(`O${hex.slice(i, i + step)}`));
    packets.push(latin1Bytes(status));
    return { packets };
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `E NN`: a TargetError's errno, else 1. */
function errorCode(err: unknown): string {
  const errno = err instanceof TargetError ? err.errno : 1;
  return `E${hexByte(errno >= 1 && errno <= 255 ? errno : 1)}`;
}

function exact(thread: ThreadId): ThreadSelector {
  return { pid: thread.pid, tid: thread.tid };
}

function sameThread(a: ThreadId, b: ThreadId): boolean {
  return a.pid === b.pid && a.tid === b.tid;
}
