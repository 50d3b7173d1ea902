// Syscall buffer: the in-process code (build/syscallbuf.bin, built from native/syscallbuf by `npm
// install`) and the addresses rewind needs from its table: the entry patched code calls, and the
// addresses right after its two syscall instructions (untraced: let through by the seccomp filter;
// traced: the calls it hands to the tracer), and the in-process CPUID's entry and trap (cpuid.S).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native/package-root.js';
import { CODE_SIZE, CPUID_TABLE, SYSCALLBUF_BASE } from './layout.js';

export interface Blob {
  bytes: Uint8Array;
  entry: bigint;
  untracedIp: bigint;
  tracedIp: bigint;
  /** What a patched cpuid site's stub calls. */
  cpuid: bigint;
  /** The ud2 where a CPUID the table does not answer stops, emulated by the tracer as a trapped cpuid. */
  cpuidTrapIp: bigint;
}

const TABLE_MAGIC = 0x3162737764776572n; // "rewdwsb1"
let blob: Blob | null = null;

export function syscallbufBlob(): Blob {
  if (blob) return blob;
  const path = join(packageRoot, 'build', 'syscallbuf.bin');
  const bytes = new Uint8Array(readFileSync(path));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 32 || bytes.length > CODE_SIZE || dv.getBigUint64(0, true) !== TABLE_MAGIC) {
    throw new Error(`${path} is not rewind's syscall buffer code (run npm install)`);
  }
  const at = (i: number): bigint => {
    const v = dv.getBigUint64(8 * i, true);
    if (v < SYSCALLBUF_BASE || v >= SYSCALLBUF_BASE + BigInt(bytes.length)) throw new Error(`${path}: entry ${i} is outside the code`);
    return v;
  };
  if (bytes.length < 56 || dv.getBigUint64(48, true) !== CPUID_TABLE) throw new Error(`${path}: its CPUID table is not where rewind writes it (run npm install)`);
  blob = { bytes, entry: at(1), untracedIp: at(2), tracedIp: at(3), cpuid: at(4), cpuidTrapIp: at(5) };
  return blob;
}

/** Whether rip is inside the syscall buffer's code or stubs (a point there is not a place replay can find). */
export function inSyscallbufCode(rip: bigint): boolean {
  return rip >= SYSCALLBUF_BASE && rip < SYSCALLBUF_BASE + 0x30000n;
}
