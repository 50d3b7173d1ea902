// gdb layer: the x86-64 register file as gdb numbers it: registers in target-description order,
// each with its gdb register number (p/P), byte offset in the g packet and size. One declaration
// serves the XML (target-description.ts), the g/p replies and the engine's encoder below.
// Imports nothing from rewind outside src/gdb.
//
// Order (gdb manual, "i386 Features"): org.gnu.gdb.i386.core (rax…gs, st0-7, x87 control),
// .sse (xmm0-15, mxcsr), .linux (orig_rax), .segments (fs_base, gs_base), .avx (ymm0h-15h),
// .avx512 (xmm16-31, ymm16h-31h, k0-7, zmm0h-31h). With this order gdb's own numbering holds:
// rip = 16, eflags = 17, st0 = 24, xmm0 = 40, mxcsr = 56, orig_rax = 57, fs_base = 58.

import { littleEndian, readLittleEndian } from './encoding.js';
import type { RegisterSet } from './target.js';

export interface RegisterDef {
  name: string;
  bitsize: number;
  /** A gdb predefined type or one declared in the feature's XML. */
  type: string;
  group?: string;
}

export interface FeatureDef {
  /** gdb feature name, e.g. org.gnu.gdb.i386.core. */
  name: string;
  /** Annex under which the feature document is served (xi:include href). */
  file: string;
  registers: readonly RegisterDef[];
}

export interface RegisterInfo extends RegisterDef {
  /** gdb's register number (position in the g packet order). */
  regnum: number;
  /** Byte offset in the register file / g packet. */
  offset: number;
  size: number;
}

export interface RegisterLayout {
  readonly set: RegisterSet;
  readonly features: readonly FeatureDef[];
  readonly registers: readonly RegisterInfo[];
  readonly byName: ReadonlyMap<string, RegisterInfo>;
  /** Total bytes of the register file. */
  readonly size: number;
}

const regs = (names: readonly string[], bitsize: number, type: string, group?: string) =>
  names.map((name): RegisterDef => (group === undefined ? { name, bitsize, type } : { name, bitsize, type, group }));
const numbered = (prefix: string, from: number, to: number, suffix = '') =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}${suffix}`);

const CORE: FeatureDef = {
  name: 'org.gnu.gdb.i386.core',
  file: '64bit-core.xml',
  registers: [
    ...regs(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi'], 64, 'int64'),
    ...regs(['rbp', 'rsp'], 64, 'data_ptr'),
    ...regs(numbered('r', 8, 15), 64, 'int64'),
    { name: 'rip', bitsize: 64, type: 'code_ptr' },
    { name: 'eflags', bitsize: 32, type: 'i386_eflags' },
    ...regs(['cs', 'ss', 'ds', 'es', 'fs', 'gs'], 32, 'int32'),
    ...regs(numbered('st', 0, 7), 80, 'i387_ext'),
    ...regs(['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'], 32, 'int', 'float'),
  ],
};

const SSE: FeatureDef = {
  name: 'org.gnu.gdb.i386.sse',
  file: '64bit-sse.xml',
  registers: [
    ...regs(numbered('xmm', 0, 15), 128, 'vec128'),
    { name: 'mxcsr', bitsize: 32, type: 'i386_mxcsr', group: 'vector' },
  ],
};

const LINUX: FeatureDef = {
  name: 'org.gnu.gdb.i386.linux',
  file: '64bit-linux.xml',
  registers: [{ name: 'orig_rax', bitsize: 64, type: 'int', group: 'system' }],
};

const SEGMENTS: FeatureDef = {
  name: 'org.gnu.gdb.i386.segments',
  file: '64bit-segments.xml',
  registers: regs(['fs_base', 'gs_base'], 64, 'int'),
};

const AVX: FeatureDef = {
  name: 'org.gnu.gdb.i386.avx',
  file: '64bit-avx.xml',
  registers: regs(numbered('ymm', 0, 15, 'h'), 128, 'uint128'),
};

const AVX512: FeatureDef = {
  name: 'org.gnu.gdb.i386.avx512',
  file: '64bit-avx512.xml',
  registers: [
    ...regs(numbered('xmm', 16, 31), 128, 'vec128'),
    ...regs(numbered('ymm', 16, 31, 'h'), 128, 'uint128'),
    ...regs(numbered('k', 0, 7), 64, 'uint64'),
    ...regs(numbered('zmm', 0, 31, 'h'), 256, 'v2ui128'),
  ],
};

const FEATURES: Record<RegisterSet, readonly FeatureDef[]> = {
  sse: [CORE, SSE, LINUX, SEGMENTS],
  avx: [CORE, SSE, LINUX, SEGMENTS, AVX],
  avx512: [CORE, SSE, LINUX, SEGMENTS, AVX, AVX512],
};

const cache = new Map<RegisterSet, RegisterLayout>();

export function registerLayout(set: RegisterSet = 'sse'): RegisterLayout {
  let layout = cache.get(set);
  if (layout !== undefined) return layout;
  const features = FEATURES[set];
  if (features === undefined) throw new RangeError(`unknown register set ${String(set)}`);
  const registers: RegisterInfo[] = [];
  let offset = 0;
  for (const feature of features) {
    for (const def of feature.registers) {
      const size = def.bitsize / 8;
      registers.push({ ...def, regnum: registers.length, offset, size });
      offset += size;
    }
  }
  layout = { set, features, registers, byName: new Map(registers.map((r) => [r.name, r])), size: offset };
  cache.set(set, layout);
  return layout;
}

/**
 * Builds a register file from named values (for the engine and test targets). Unnamed registers
 * are zero; bigints are stored little-endian, byte arrays are copied as they are.
 */
export function encodeRegisterFile(
  layout: RegisterLayout,
  values: Readonly<Record<string, bigint | Uint8Array>>,
): Uint8Array {
  const out = new Uint8Array(layout.size);
  for (const [name, value] of Object.entries(values)) {
    const reg = layout.byName.get(name);
    if (reg === undefined) throw new RangeError(`no register ${name} in the ${layout.set} layout`);
    const bytes = typeof value === 'bigint' ? littleEndian(value, reg.size) : value;
    if (bytes.length !== reg.size) throw new RangeError(`${name} takes ${reg.size} bytes, got ${bytes.length}`);
    out.set(bytes, reg.offset);
  }
  return out;
}

/** Reads one register (up to 64 bits as a number; wider ones as their low 64 bits). */
export function registerValue(layout: RegisterLayout, file: Uint8Array, name: string): bigint {
  const reg = layout.byName.get(name);
  if (reg === undefined) throw new RangeError(`no register ${name} in the ${layout.set} layout`);
  return readLittleEndian(file, reg.offset, Math.min(reg.size, 8));
}
