// Traced-process model: the x87/SSE/AVX/AVX-512 state of one stopped thread (PTRACE_GETREGSET
// NT_X86_XSTATE), and where each piece sits in it.
//
// The kernel hands out the XSAVE area in the standard (non-compacted) format whatever it uses
// itself: a 512-byte legacy FXSAVE area (64-bit form: FPU IP and DP are 64-bit), the 64-byte XSAVE
// header at 512 (XSTATE_BV = components not in their initial state), then each extended component
// at the offset CPUID leaf 0xD, subleaf = component, gives in EBX (size in EAX). Bytes 464..471 of
// the legacy area hold XCR0 (the components the OS enabled). Components the kernel reports as
// initial are already filled with their initial values there; extendedComponent() returns null for
// them, which callers read as zeros.
import { E } from '../kernel/errno.js';
import { PTRACE_GETFPREGS } from '../kernel/ptrace.js';
import { native } from '../native/addon.js';
import { hasCpuFlag } from './cpu-features.js';
import { TraceeError } from './errors.js';
import type { Task } from './task.js';

/** XSAVE state components (bit numbers in XCR0 and XSTATE_BV). */
export const enum XFeature {
  X87 = 0, SSE = 1, AVX = 2, OPMASK = 5, ZMM_HI256 = 6, HI16_ZMM = 7,
}

/** Offsets in the legacy (FXSAVE, 64-bit form) area. */
export const enum Fx {
  fcw = 0, fsw = 2, ftw = 4, fop = 6, fip = 8, fdp = 16, mxcsr = 24, mxcsrMask = 28,
  /** st(i) (80 bits) at st + 16·i, in stack order (st0 = top of stack). */
  st = 32,
  /** xmm(i) at xmm + 16·i. */
  xmm = 160,
  /** XCR0 as the kernel stores it in the software-available bytes. */
  swXcr0 = 464,
  size = 512,
}

const XSTATE_HEADER = 512;

export interface XComponent {
  offset: number;
  size: number;
}

const components = new Map<number, XComponent | null>();
const cpuidOut = new Uint32Array(4);

/** Offset and size of extended component (>= 2) in the standard format; null when the CPU has none. */
export function xstateComponent(feature: number): XComponent | null {
  let c = components.get(feature);
  if (c === undefined) {
    native.cpuid(0xd, feature, cpuidOut);
    c = cpuidOut[0] === 0 ? null : { size: cpuidOut[0]!, offset: cpuidOut[1]! };
    components.set(feature, c);
  }
  return c;
}

/** Components the CPU and the kernel support (CPUID 0xD.0 EDX:EAX, less what /proc/cpuinfo says the kernel left off). */
export function machineXFeatures(): bigint {
  native.cpuid(0xd, 0, cpuidOut);
  let mask = (BigInt(cpuidOut[3]!) << 32n) | BigInt(cpuidOut[0]!);
  if (!hasCpuFlag('avx')) mask &= ~(1n << BigInt(XFeature.AVX));
  if (!hasCpuFlag('avx512f')) {
    mask &= ~((1n << BigInt(XFeature.OPMASK)) | (1n << BigInt(XFeature.ZMM_HI256)) | (1n << BigInt(XFeature.HI16_ZMM)));
  }
  return mask;
}

let bufferSize = 0;

/** Bytes to offer GETREGSET: CPUID 0xD.0 ECX (every component the CPU has), at least the legacy area + header. */
export function xstateBufferSize(): number {
  if (bufferSize === 0) {
    native.cpuid(0xd, 0, cpuidOut);
    bufferSize = Math.max(cpuidOut[2]!, Fx.size + 64 + 256);
    bufferSize = Math.ceil(bufferSize / 64) * 64;
  }
  return bufferSize;
}

/** One thread's XSAVE area as read from the kernel. */
export class XState {
  private readonly view: DataView;

  /**
   * bytes: the area (standard format, at least the 512-byte legacy part); xcr0: the enabled
   * components; xstateBv: the components not in their initial state.
   */
  constructor(readonly bytes: Uint8Array, readonly xcr0: bigint, readonly xstateBv: bigint) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Parses a buffer GETREGSET NT_X86_XSTATE filled (len = the bytes the kernel wrote). */
  static fromKernel(buf: Uint8Array): XState {
    if (buf.length < XSTATE_HEADER + 8) return new XState(buf, 3n, 3n); // FXSAVE only (GETFPREGS)
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return new XState(buf, v.getBigUint64(Fx.swXcr0, true), v.getBigUint64(XSTATE_HEADER, true));
  }

  /** Whether the OS enabled the component (XCR0). */
  enabled(feature: number): boolean {
    return ((this.xcr0 >> BigInt(feature)) & 1n) === 1n;
  }

  /** Whether the component holds something other than its initial state (XSTATE_BV). */
  inUse(feature: number): boolean {
    return this.enabled(feature) && ((this.xstateBv >> BigInt(feature)) & 1n) === 1n;
  }

  u16(offset: number): number { return this.view.getUint16(offset, true); }
  u32(offset: number): number { return this.view.getUint32(offset, true); }
  u64(offset: number): bigint { return this.view.getBigUint64(offset, true); }

  /** The 10 bytes of st(i) (stack order). */
  st(i: number): Uint8Array { return this.bytes.subarray(Fx.st + 16 * i, Fx.st + 16 * i + 10); }

  /** The 16 bytes of xmm(i), i < 16. */
  xmm(i: number): Uint8Array { return this.bytes.subarray(Fx.xmm + 16 * i, Fx.xmm + 16 * i + 16); }

  /**
   * The bytes of an extended component (feature >= 2), or null when it is not enabled, is in its
   * initial state, or lies beyond what the kernel returned.
   */
  extendedComponent(feature: number): Uint8Array | null {
    if (!this.inUse(feature)) return null;
    const c = xstateComponent(feature);
    if (c === null || c.offset + c.size > this.bytes.length) return null;
    return this.bytes.subarray(c.offset, c.offset + c.size);
  }

  /** The full x87 tag word (2 bits per physical register), rebuilt from the abridged one FXSAVE stores. */
  fullTagWord(): number {
    return fullTagWord(this.u16(Fx.fsw), this.bytes[Fx.ftw]!, (i) => this.st(i));
  }
}

/** Reads the XSAVE area of a stopped task (falls back to the FXSAVE area where the CPU has no XSAVE). */
export function readXState(task: Task): XState {
  const buf = new Uint8Array(xstateBufferSize());
  const n = native.getXState(task.tid, buf);
  if (n >= 0) return XState.fromKernel(buf.subarray(0, n));
  if (n === -E.ENODEV) {
    const fx = new Uint8Array(Fx.size);
    const r = native.ptraceBuf(PTRACE_GETFPREGS, task.tid, 0, fx);
    if (r >= 0) return XState.fromKernel(fx);
  }
  throw new TraceeError(`cannot read the FPU/vector state of task ${task.tid} (errno ${-n})`, -n);
}

/**
 * The x87 tag word gdb and FSTENV show, from FXSAVE's abridged one (bit i set = physical register i
 * not empty): per physical register 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unnormal), 3
 * empty. Physical register i is st((i - TOP) mod 8), TOP = FSW bits 11-13.
 */
export function fullTagWord(fsw: number, abridged: number, st: (i: number) => Uint8Array): number {
  const top = (fsw >> 11) & 7;
  let tags = 0;
  for (let phys = 0; phys < 8; phys++) {
    let tag = 3;
    if ((abridged >> phys) & 1) {
      const b = st((phys - top + 8) & 7);
      const exponent = (b[8]! | (b[9]! << 8)) & 0x7fff;
      const integerBit = (b[7]! & 0x80) !== 0;
      if (exponent === 0x7fff) tag = 2;
      else if (exponent === 0) tag = b.subarray(0, 8).every((x) => x === 0) ? 1 : 2;
      else tag = integerBit ? 0 : 2;
    }
    tags |= tag << (2 * phys);
  }
  return tags;
}
