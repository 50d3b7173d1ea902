// Replay (debugging): gdb's register file (src/gdb/register-layout.ts order) of a stopped thread,
// from its user_regs_struct and its XSAVE area, the way gdb's amd64-linux native target builds it:
// 16-bit x87 control fields widened to 32 bits (fop keeps its 11 bits), the full tag word rebuilt
// from FXSAVE's abridged one, fiseg/foseg as bits 32-47 of the 64-bit FPU IP/DP. Vector components
// the thread has not used (XSTATE_BV clear) or the OS has not enabled read as zeros.
import { encodeRegisterFile, registerLayout, type RegisterLayout } from '../../gdb/register-layout.js';
import type { RegisterSet } from '../../gdb/target.js';
import { R } from '../../kernel/regs.js';
import type { Task } from '../../tracee/task.js';
import { Fx, machineXFeatures, readXState, XFeature, type XState } from '../../tracee/xstate.js';

/** Registers gdb shows that come straight from user_regs_struct, with their width in the layout. */
const GPRS: readonly (readonly [string, R])[] = [
  ['rax', R.rax], ['rbx', R.rbx], ['rcx', R.rcx], ['rdx', R.rdx], ['rsi', R.rsi], ['rdi', R.rdi],
  ['rbp', R.rbp], ['rsp', R.rsp], ['r8', R.r8], ['r9', R.r9], ['r10', R.r10], ['r11', R.r11],
  ['r12', R.r12], ['r13', R.r13], ['r14', R.r14], ['r15', R.r15], ['rip', R.rip], ['eflags', R.eflags],
  ['cs', R.cs], ['ss', R.ss], ['ds', R.ds], ['es', R.es], ['fs', R.fs], ['gs', R.gs],
  ['orig_rax', R.orig_rax], ['fs_base', R.fs_base], ['gs_base', R.gs_base],
];

const bit = (f: XFeature): bigint => 1n << BigInt(f);
const AVX_MASK = bit(XFeature.X87) | bit(XFeature.SSE) | bit(XFeature.AVX);
const AVX512_MASK = AVX_MASK | bit(XFeature.OPMASK) | bit(XFeature.ZMM_HI256) | bit(XFeature.HI16_ZMM);

/** The widest register set the components in xcr0 support (default: what this machine enables). */
export function machineRegisterSet(xcr0: bigint = machineXFeatures()): RegisterSet {
  if ((xcr0 & AVX512_MASK) === AVX512_MASK) return 'avx512';
  if ((xcr0 & AVX_MASK) === AVX_MASK) return 'avx';
  return 'sse';
}

/** gdb's register file (layout registerLayout(set)) of a task stopped under ptrace (its registers, or those given). */
export function gdbRegisterFile(task: Task, set: RegisterSet, regs: BigUint64Array = task.fetchRegs()): Uint8Array {
  return buildGdbRegisterFile(regs, readXState(task), registerLayout(set));
}

/** The register file from a user_regs_struct (REGS_COUNT u64) and an XSAVE area. */
export function buildGdbRegisterFile(regs: BigUint64Array, xs: XState, layout: RegisterLayout): Uint8Array {
  const values: Record<string, bigint | Uint8Array> = {};
  for (const [name, index] of GPRS) {
    const reg = layout.byName.get(name)!;
    values[name] = BigInt.asUintN(reg.size * 8, regs[index]!);
  }

  // x87: the legacy area always holds something (the kernel fills the initial state when unused).
  for (let i = 0; i < 8; i++) values[`st${i}`] = xs.st(i).slice();
  values.fctrl = BigInt(xs.u16(Fx.fcw));
  values.fstat = BigInt(xs.u16(Fx.fsw));
  values.ftag = BigInt(xs.fullTagWord());
  values.fioff = BigInt(xs.u32(Fx.fip));
  values.fiseg = BigInt(xs.u16(Fx.fip + 4));
  values.fooff = BigInt(xs.u32(Fx.fdp));
  values.foseg = BigInt(xs.u16(Fx.fdp + 4));
  values.fop = BigInt(xs.u16(Fx.fop) & 0x7ff);

  for (let i = 0; i < 16; i++) values[`xmm${i}`] = xs.xmm(i).slice();
  values.mxcsr = BigInt(xs.u32(Fx.mxcsr));

  if (layout.byName.has('ymm0h')) {
    const avx = xs.extendedComponent(XFeature.AVX); // ymm0-15 bits 128-255, 16 bytes each
    if (avx) for (let i = 0; i < 16; i++) values[`ymm${i}h`] = avx.slice(16 * i, 16 * i + 16);
  }
  if (layout.byName.has('k0')) {
    const k = xs.extendedComponent(XFeature.OPMASK); // k0-7, 8 bytes each
    if (k) for (let i = 0; i < 8; i++) values[`k${i}`] = k.slice(8 * i, 8 * i + 8);
    const hi256 = xs.extendedComponent(XFeature.ZMM_HI256); // zmm0-15 bits 256-511, 32 bytes each
    if (hi256) for (let i = 0; i < 16; i++) values[`zmm${i}h`] = hi256.slice(32 * i, 32 * i + 32);
    const hi16 = xs.extendedComponent(XFeature.HI16_ZMM); // zmm16-31 whole, 64 bytes each
    if (hi16) {
      for (let i = 16; i < 32; i++) {
        const z = hi16.subarray(64 * (i - 16), 64 * (i - 16) + 64);
        values[`xmm${i}`] = z.slice(0, 16);
        values[`ymm${i}h`] = z.slice(16, 32);
        values[`zmm${i}h`] = z.slice(32, 64);
      }
    }
  }
  return encodeRegisterFile(layout, values);
}
