// Code patcher: the syscall buffer's stub area, where a patched site's stub lives (a libc syscall
// wrapper's: syscall-sites.ts; a cpuid's: cpuid-sites.ts). A site's bytes become a 5-byte jump to
// its stub (nops after it), stubs are laid one after another, 16-byte aligned, and the next free byte
// is kept in the process (STUB_NEXT: a fork child has its parent's). Replay puts every stub back at
// the address the recording gave it. Also the pieces stubs share: the step over the red zone around
// a call, 32-bit displacements.
import { STUB_NEXT, STUBS, STUBS_SIZE } from '../syscallbuf/layout.js';
import type { TaskMemory } from '../tracee/page-batch.js';

/** The jump a site's first bytes become. */
export const JMP_LENGTH = 5;
/** lea -0x80(%rsp),%rsp: a stub's call must not write into the red zone below the program's stack pointer. */
export const LEA_DOWN = [0x48, 0x8d, 0x64, 0x24, 0x80];
/** lea 0x80(%rsp),%rsp (neither lea touches the flags). */
export const LEA_UP = [0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00];

/** The displacement of a rel32 branch whose next instruction is at `from`, to `to`; null out of reach. */
export function rel32(from: bigint, to: bigint): number | null {
  const d = to - from;
  return d >= -(2n ** 31n) && d < 2n ** 31n ? Number(d) : null;
}

const CALL = 0xe8;
const JMP = 0xe9;

/** `call rel32` (0xe8) or `jmp rel32` (0xe9) placed at `at`, to `target`; null out of reach. */
export function branchBytes(op: typeof CALL | typeof JMP, at: bigint, target: bigint): number[] | null {
  const d = rel32(at + BigInt(JMP_LENGTH), target);
  return d === null ? null : [op, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, (d >>> 24) & 0xff];
}

/** A site's replacement: a jump from addr to its stub, nops to the site's length; null out of reach. */
export function jumpBytes(addr: bigint, length: number, stub: bigint): Uint8Array | null {
  const jmp = branchBytes(JMP, addr, stub);
  if (jmp === null) return null;
  const b = new Uint8Array(length).fill(0x90);
  b.set(jmp);
  return b;
}

/** The stub area's next free byte in the process (null when it has no buffer, or the value is not one). */
export function readStubNext(task: TaskMemory): bigint | null {
  const raw = task.readPartial(STUB_NEXT, 8);
  if (raw.length !== 8) return null;
  const next = new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true);
  return next >= STUBS && next <= STUBS + BigInt(STUBS_SIZE) ? next : null;
}

export function writeStubNext(task: TaskMemory, next: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, next, true);
  task.write(STUB_NEXT, b);
}

/** Where the stub after one of `length` bytes at stub goes. */
export function stubAfter(stub: bigint, length: number): bigint {
  return stub + BigInt((length + 15) & ~15);
}

/** Whether a stub of `length` bytes at stub fits in the area. */
export function stubFits(stub: bigint, length: number): boolean {
  return stub + BigInt(length) <= STUBS + BigInt(STUBS_SIZE);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
