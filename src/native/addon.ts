// Native layer: typed access to build/rewind.node (native/addon.c) and the path of the launcher.
// Every call returns -errno on failure; callers turn that into errors where it matters.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

export { packageRoot };

export interface NativeAddon {
  /** posix_spawn with fds 0-2 kept open and every signal blocked; flags bit 0: new process group. Returns pid. */
  spawn(path: string, argv: string[], envp: string[], flags: number): number;
  /** tcsetpgrp with SIGTTOU blocked for the call; 0 or -errno. */
  tcsetpgrp(fd: number, pgid: number): number;
  /** tcgetpgrp; the foreground process group or -errno. */
  tcgetpgrp(fd: number): number;
  getpgrp(): number;
  /** These signals only set a bit from now on (a blocking waitpid returns EINTR); 0 or -errno. */
  catchSignals(signals: number[]): number;
  /** Bit n set: signal n arrived since the last call. */
  takeSignals(): number;
  /** waitpid; out[0] receives the status. */
  waitpid(pid: number, flags: number, out: Int32Array): number;
  /** waitpid that gives up after ms milliseconds (fractions allowed, to the microsecond; returns 0 then). */
  waitpidTimeout(pid: number, flags: number, out: Int32Array, ms: number): number;
  ptrace(request: number, pid: number, addr: number | bigint, data: number | bigint): number;
  /** ptrace with data pointing at buf (GETSIGINFO, SETSIGINFO, GET_SYSCALL_INFO…). */
  ptraceBuf(request: number, pid: number, addr: number | bigint, buf: ArrayBufferView): number;
  getRegs(pid: number, regs: BigUint64Array): number;
  setRegs(pid: number, regs: BigUint64Array): number;
  getXState(pid: number, buf: Uint8Array): number;
  setXState(pid: number, buf: Uint8Array): number;
  getEventMsg(pid: number): bigint | number;
  /** PTRACE_PEEKUSER: the word at offset in struct user (a BigInt), or Number -errno on failure. */
  peekUser(pid: number, offset: number): bigint | number;
  readMem(pid: number, addr: bigint, buf: Uint8Array): number;
  /** `size` bytes at each address into consecutive slots of buf; how many ranges were read (it stops at the first it cannot read whole). */
  readMemScatter(pid: number, addrs: BigUint64Array, size: number, buf: Uint8Array): number;
  writeMem(pid: number, addr: bigint, buf: Uint8Array): number;
  rdtsc(): bigint;
  rdtscp(aux: Uint32Array): bigint;
  cpuid(leaf: number, subleaf: number, out: Uint32Array): number;
  setAffinity(tid: number, cpu: number): number;
  allowedCpus(): number;
  tgkill(tgid: number, tid: number, sig: number): number;
  kill(pid: number, sig: number): number;
  /** prlimit64 of pid (0: rewind): old[0..1] = the limit before (soft, hard); with set, it becomes {soft, hard}. 0 or -errno. */
  prlimit(pid: number, resource: number, set: number, soft: bigint, hard: bigint, old: BigUint64Array): number;
  /** lseek(fd, offset, whence): the new offset or -errno (SEEK_DATA, SEEK_HOLE). */
  lseek(fd: number, offset: number, whence: number): number;
  /** memfd_create(name, MFD_CLOEXEC) in rewind itself: the fd, or -errno. */
  memfdCreate(name: string): number;
  /** The IEEE CRC-32 (zlib's) of the bytes. */
  crc32(data: Uint8Array): number;
}

export const launcherPath = join(packageRoot, 'build', 'rewind-launcher');
const addonPath = join(packageRoot, 'build', 'rewind.node');

function load(): NativeAddon {
  if (!existsSync(addonPath) || !existsSync(launcherPath)) {
    throw new Error(`rewind: native parts are not built (${addonPath}); run npm install`);
  }
  return createRequire(import.meta.url)(addonPath) as NativeAddon;
}

export const native: NativeAddon = load();
