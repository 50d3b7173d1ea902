// Traced-process model: one traced thread (task) — its registers, memory, and the ptrace calls on it.
// Every method must be called from the thread that seized the task (the tracer's thread).
import { closeSync, openSync, writeSync } from 'node:fs';
import { R, REGS_COUNT } from '../kernel/regs.js';
import { SIGINFO } from '../kernel/signals.js';
import {
  PTRACE_CONT, PTRACE_GETSIGINFO, PTRACE_INTERRUPT, PTRACE_LISTEN, PTRACE_SETSIGINFO, PTRACE_SINGLESTEP, PTRACE_SYSCALL,
} from '../kernel/ptrace.js';
import { native } from '../native/addon.js';
import { TraceeError } from './errors.js';
import { forgetTask, noteInterrupt, noteResume, noteSent } from './stray-signals.js';


export class Task {
  /** Registers as last fetched (fetchRegs) or about to be stored (storeRegs). */
  readonly regs = new BigUint64Array(REGS_COUNT);

  constructor(readonly tid: number, readonly tgid: number) {
    forgetTask(tid); // a new task, or a tid taken over: nothing noted about an earlier one applies
  }

  fetchRegs(): BigUint64Array {
    const r = native.getRegs(this.tid, this.regs);
    if (r < 0) throw new TraceeError(`cannot read registers of task ${this.tid} (errno ${-r})`, -r);
    return this.regs;
  }

  storeRegs(regs: BigUint64Array = this.regs): void {
    if (regs !== this.regs) this.regs.set(regs);
    const r = native.setRegs(this.tid, this.regs);
    if (r < 0) throw new TraceeError(`cannot write registers of task ${this.tid} (errno ${-r})`, -r);
  }

  /** A copy of the current register buffer. */
  snapshot(): BigUint64Array {
    return this.regs.slice();
  }

  get rip(): bigint { return this.regs[R.rip]!; }
  get rsp(): bigint { return this.regs[R.rsp]!; }

  /** Reads up to len bytes; returns fewer when the range runs into unmapped memory. */
  readPartial(addr: bigint, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    if (len === 0) return buf;
    const n = native.readMem(this.tid, addr, buf);
    return n <= 0 ? buf.subarray(0, 0) : buf.subarray(0, n);
  }

  /**
   * `size` bytes at each address, in one system call (or one per 1,024 addresses): `bytes` holds them
   * one after the other, and `count` is how many were read, from the first on (the kernel stops at
   * the first range it cannot read whole). Into `into` when given (at least addrs.length * size bytes).
   */
  readScatter(addrs: readonly bigint[], size: number, into?: Uint8Array): { bytes: Uint8Array; count: number } {
    const bytes = into ? into.subarray(0, addrs.length * size) : new Uint8Array(addrs.length * size);
    if (bytes.length !== addrs.length * size) throw new RangeError(`readScatter: room for ${bytes.length} bytes, ${addrs.length * size} asked`);
    if (addrs.length === 0) return { bytes, count: 0 };
    const count = native.readMemScatter(this.tid, BigUint64Array.from(addrs), size, bytes);
    return { bytes, count: Math.max(0, count) };
  }

  /** Reads into buf, all of it or fewer bytes where the range runs into unmapped memory; returns the bytes read. */
  readInto(addr: bigint, buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    const n = native.readMem(this.tid, addr, buf);
    return n <= 0 ? 0 : n;
  }

  read(addr: bigint, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    this.readFully(addr, buf);
    return buf;
  }

  /** Fills buf from addr, all of it, or throws. */
  readFully(addr: bigint, buf: Uint8Array): void {
    if (this.readInto(addr, buf) !== buf.length) {
      throw new TraceeError(`cannot read ${buf.length} bytes at 0x${addr.toString(16)} in task ${this.tid}`);
    }
  }

  write(addr: bigint, data: Uint8Array): void {
    if (data.length === 0) return;
    const n = native.writeMem(this.tid, addr, data);
    if (n !== data.length) {
      throw new TraceeError(`cannot write ${data.length} bytes at 0x${addr.toString(16)} in task ${this.tid}`);
    }
  }

  /**
   * Writes each piece, forced into read-only pages as write() does, through one open of
   * /proc/TID/mem: a patch pass writes a piece into each of hundreds of code pages, and write()
   * would open the file for each (process_vm_writev refuses read-only pages). A piece the file
   * does not take is written by write(), which throws on a failure.
   */
  writeMany(pieces: readonly (readonly [bigint, Uint8Array])[]): void {
    let fd = -1;
    if (pieces.length > 1) {
      try {
        fd = openSync(`/proc/${this.tid}/mem`, 'r+');
      } catch {
        fd = -1;
      }
    }
    try {
      for (const [addr, data] of pieces) {
        let n = -1;
        if (fd >= 0 && data.length > 0) {
          try {
            n = writeSync(fd, data, 0, data.length, Number(addr));
          } catch {
            n = -1;
          }
        }
        if (n !== data.length) this.write(addr, data);
      }
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  readU64(addr: bigint): bigint {
    const b = this.read(addr, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  /** A NUL-terminated string (UTF-8), read in pieces so it may end near an unmapped page. */
  readCString(addr: bigint, max = 1 << 16): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const chunk = this.readPartial(addr + BigInt(total), 256);
      if (chunk.length === 0) break;
      const nul = chunk.indexOf(0);
      if (nul >= 0) { parts.push(chunk.subarray(0, nul)); break; }
      parts.push(chunk);
      total += chunk.length;
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /**
   * A NULL-terminated array of string pointers (argv, envp). The pointers are read 64 at a time and
   * the strings through a 4 KiB window, since they usually lie side by side (an exec of gcc by make
   * passes a hundred; one read each cost its recording 50 ms).
   */
  readStringArray(addr: bigint, max = 1 << 16): string[] {
    const out: string[] = [];
    if (addr === 0n) return out;
    let window: Uint8Array = new Uint8Array(0);
    let windowAt = 0n;
    const string = (p: bigint): string => {
      const off = p - windowAt;
      if (off >= 0n && off < BigInt(window.length)) {
        const rest = window.subarray(Number(off));
        const nul = rest.indexOf(0);
        if (nul >= 0) return Buffer.from(rest.buffer, rest.byteOffset, nul).toString('utf8');
      }
      window = this.readPartial(p, 4096);
      windowAt = p;
      const nul = window.indexOf(0);
      return nul >= 0 ? Buffer.from(window.buffer, window.byteOffset, nul).toString('utf8') : this.readCString(p);
    };
    for (let i = 0; i < max;) {
      const block = this.readPartial(addr + BigInt(i * 8), 64 * 8);
      if (block.length < 8) throw new TraceeError(`cannot read 8 bytes at 0x${(addr + BigInt(i * 8)).toString(16)} in task ${this.tid}`);
      const view = new DataView(block.buffer, block.byteOffset, block.length);
      for (let k = 0; k + 8 <= block.length && i < max; k += 8, i++) {
        const p = view.getBigUint64(k, true);
        if (p === 0n) return out;
        out.push(string(p));
      }
    }
    return out;
  }

  siginfo(): Uint8Array {
    const buf = new Uint8Array(SIGINFO.size);
    const r = native.ptraceBuf(PTRACE_GETSIGINFO, this.tid, 0, buf);
    if (r < 0) throw new TraceeError(`cannot read siginfo of task ${this.tid} (errno ${-r})`, -r);
    return buf;
  }

  setSiginfo(info: Uint8Array): void {
    const r = native.ptraceBuf(PTRACE_SETSIGINFO, this.tid, 0, info);
    if (r < 0) throw new TraceeError(`cannot set siginfo of task ${this.tid} (errno ${-r})`, -r);
  }

  /** Resume until the next stop (PTRACE_CONT), delivering sig if nonzero. */
  cont(sig = 0): void { this.resume(PTRACE_CONT, sig); }

  /** Executes one instruction. */
  step(sig = 0): void { this.resume(PTRACE_SINGLESTEP, sig); }

  /** Stops the task wherever it is (PTRACE_INTERRUPT); the stop is reported as PTRACE_EVENT_STOP. */
  interrupt(): void {
    const r = native.ptrace(PTRACE_INTERRUPT, this.tid, 0, 0);
    if (r < 0) throw new TraceeError(`cannot interrupt task ${this.tid} (errno ${-r})`, -r);
    noteInterrupt(this.tid);
  }

  /**
   * From a group-stop: leaves the task stopped as job control wants (its parent sees it stopped), yet
   * reported to the tracer again when something happens to it (SIGCONT, SIGKILL).
   */
  listen(): void { this.resume(PTRACE_LISTEN, 0); }

  /** Resume to the syscall-exit stop (from a seccomp stop). */
  toSyscallExit(sig = 0): void { this.resume(PTRACE_SYSCALL, sig); }

  private resume(req: number, sig: number): void {
    const r = native.ptrace(req, this.tid, 0, sig);
    if (r < 0) throw new TraceeError(`cannot resume task ${this.tid} (errno ${-r})`, -r);
    this.resumed++;
    noteResume(this.tid, req);
  }

  private resumed = 0;

  /** How many times rewind resumed the task: unchanged while it sits at one stop. */
  get resumes(): number {
    return this.resumed;
  }

  /** Sends signal sig to this task (tgkill). */
  signal(sig: number): void {
    const r = native.tgkill(this.tgid, this.tid, sig);
    if (r < 0) throw new TraceeError(`cannot signal task ${this.tid} (errno ${-r})`, -r);
    if (sig !== 0) noteSent(this.tid, sig);
  }
}
