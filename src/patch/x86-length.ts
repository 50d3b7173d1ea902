// Code patcher: an x86-64 instruction decoder that finds what relocating code needs and nothing more:
// each instruction's length, how control leaves it (falls through, a direct jump, call or conditional
// branch and its target, an indirect transfer, a return, a trap), where a rip-relative displacement
// sits, and the few instructions a patcher must recognise (nop, int3, ud2, syscall). Written from the
// opcode maps of Intel's SDM vol. 2 (appendix A) and AMD's APM vol. 3 (XOP, 3DNow!), 64-bit mode
// only. It runs in plain JavaScript on the bytes, so a replay that arms a point trap (point-trap.ts)
// no longer loads iced-x86 (~30 ms of WebAssembly and glue, and ~3 µs per instruction through its
// bindings); x86-length.test.ts holds it to iced-x86 over whole system binaries. Bytes it does not
// know (an invalid or future encoding) decode as null, and the caller gives up on that code.

/** How control leaves an instruction. */
export const enum Flow {
  /** To the next instruction. */
  Next = 0,
  /** A direct jump (jmp rel8/rel32): `target`. */
  Jump = 1,
  /** jmp through a register or memory. */
  IndirectJump = 2,
  /** A direct conditional branch (jcc rel8/rel32): `target` or the next instruction. */
  Conditional = 3,
  /** ret, retf, iret, sysret, sysexit. */
  Return = 4,
  /** call rel32: `target`. */
  Call = 5,
  /** call through a register or memory. */
  IndirectCall = 6,
  /** int3, int n, int1: a trap to the kernel. */
  Interrupt = 7,
  /** ud0, ud1, ud2, hlt: always faults in user mode. */
  Exception = 8,
  /** loop, loope, loopne, jrcxz: `target` (rel8 only, no longer form: never relocated). */
  Loop = 9,
  /** xbegin rel32 (`target`: the abort path), syscall, sysenter: control goes elsewhere first. */
  Special = 10,
}

/** Instructions a patcher looks for. */
export const enum Kind {
  Other = 0,
  Nop = 1,
  Int3 = 2,
  Ud2 = 3,
  Syscall = 4,
}

export interface Insn {
  /** Address (a plain number: user addresses fit in 2^53). */
  readonly at: number;
  readonly length: number;
  readonly flow: Flow;
  readonly kind: Kind;
  /** Target of a direct jump, call, conditional branch, loop or xbegin; -1 for others. */
  readonly target: number;
  /** Offset in the instruction of its rip-relative disp32, or -1. */
  readonly ripDisp: number;
  /** Offset of the opcode byte (after the prefixes), for re-encoding a branch. */
  readonly opAt: number;
}

const enum Imm {
  None = 0,
  B = 1,
  W = 2,
  /** 2 bytes with a 0x66 prefix, else 4. */
  Z = 3,
  /** mov r64, imm64 with REX.W, else Z. */
  V = 4,
  /** enter: iw, ib. */
  WB = 5,
  /** mov moffs: 8 bytes (4 with 0x67). */
  MOFFS = 6,
  /** F6/F7: ib / iz for /0 and /1 (test), none for the others. */
  GROUP3 = 7,
  /** 66 0F 78 / F2 0F 78 (extrq, insertq): ib ib; none without those prefixes (vmread). */
  SSE4A = 8,
}

const INVALID = 0xff;
const M = 0x80; // has ModRM
// One-byte map: M | imm, or INVALID. Prefix and escape bytes are handled before the table.
const ONE = new Uint8Array(256);
// Two-byte map (0F xx).
const TWO = new Uint8Array(256);

function set(table: Uint8Array, from: number, to: number, v: number): void {
  for (let i = from; i <= to; i++) table[i] = v;
}

(() => {
  for (let op = 0x00; op < 0x40; op += 8) {
    set(ONE, op, op + 3, M);
    ONE[op + 4] = Imm.B;
    ONE[op + 5] = Imm.Z;
  }
  for (const op of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea]) ONE[op] = INVALID;
  set(ONE, 0x50, 0x5f, Imm.None);
  ONE[0x63] = M;
  ONE[0x68] = Imm.Z;
  ONE[0x69] = M | Imm.Z;
  ONE[0x6a] = Imm.B;
  ONE[0x6b] = M | Imm.B;
  set(ONE, 0x6c, 0x6f, Imm.None);
  set(ONE, 0x70, 0x7f, Imm.B);
  ONE[0x80] = M | Imm.B;
  ONE[0x81] = M | Imm.Z;
  ONE[0x83] = M | Imm.B;
  set(ONE, 0x84, 0x8f, M);
  set(ONE, 0x90, 0x9f, Imm.None);
  ONE[0x9a] = INVALID;
  set(ONE, 0xa0, 0xa3, Imm.MOFFS);
  set(ONE, 0xa4, 0xa7, Imm.None);
  ONE[0xa8] = Imm.B;
  ONE[0xa9] = Imm.Z;
  set(ONE, 0xaa, 0xaf, Imm.None);
  set(ONE, 0xb0, 0xb7, Imm.B);
  set(ONE, 0xb8, 0xbf, Imm.V);
  ONE[0xc0] = M | Imm.B;
  ONE[0xc1] = M | Imm.B;
  ONE[0xc2] = Imm.W;
  ONE[0xc3] = Imm.None;
  ONE[0xc6] = M | Imm.B;
  ONE[0xc7] = M | Imm.Z;
  ONE[0xc8] = Imm.WB;
  ONE[0xc9] = Imm.None;
  ONE[0xca] = Imm.W;
  set(ONE, 0xcb, 0xcc, Imm.None);
  ONE[0xcd] = Imm.B;
  ONE[0xcf] = Imm.None;
  set(ONE, 0xd0, 0xd3, M);
  ONE[0xd7] = Imm.None;
  set(ONE, 0xd8, 0xdf, M);
  set(ONE, 0xe0, 0xe7, Imm.B);
  ONE[0xe8] = Imm.Z;
  ONE[0xe9] = Imm.Z;
  ONE[0xeb] = Imm.B;
  set(ONE, 0xec, 0xef, Imm.None);
  ONE[0xf1] = Imm.None;
  set(ONE, 0xf4, 0xf5, Imm.None);
  ONE[0xf6] = M | Imm.GROUP3;
  ONE[0xf7] = M | Imm.GROUP3;
  set(ONE, 0xf8, 0xfd, Imm.None);
  ONE[0xfe] = M;
  ONE[0xff] = M;

  TWO.fill(M);
  for (const op of [0x04, 0x0a, 0x0c, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x7a, 0x7b]) TWO[op] = INVALID;
  for (const op of [0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x77, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa]) TWO[op] = Imm.None;
  TWO[0x0f] = M | Imm.B; // 3DNow!: the opcode is the trailing byte
  set(TWO, 0x70, 0x73, M | Imm.B);
  TWO[0x78] = M | Imm.SSE4A;
  set(TWO, 0x80, 0x8f, Imm.Z);
  TWO[0xa4] = M | Imm.B;
  TWO[0xac] = M | Imm.B;
  TWO[0xba] = M | Imm.B;
  TWO[0xc2] = M | Imm.B;
  set(TWO, 0xc4, 0xc6, M | Imm.B);
  set(TWO, 0xc8, 0xcf, Imm.None);
})();

/** Whether a VEX/EVEX map-1 opcode takes an imm8 (as its legacy 0F form does). */
function map1Imm8(op: number): boolean {
  return (op >= 0x70 && op <= 0x73) || op === 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/**
 * The instruction at bytes[i], at address `at`; null where the bytes are not a valid 64-bit-mode
 * instruction this decoder knows, or run past the end of `bytes`.
 */
export function decodeAt(bytes: Uint8Array, i: number, at: number): Insn | null {
  const start = i;
  const end = Math.min(bytes.length, start + 15);
  let opsize = false;
  let adsize = false;
  let rep = 0;
  let rex = 0;
  let b = 0;
  for (;;) {
    if (i >= end) return null;
    b = bytes[i]!;
    if (b === 0x66) opsize = true;
    else if (b === 0x67) adsize = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b !== 0xf0 && b !== 0x2e && b !== 0x3e && b !== 0x26 && b !== 0x36 && b !== 0x64 && b !== 0x65) {
      if ((b & 0xf0) !== 0x40) break;
      rex = b;
      i++;
      continue;
    }
    rex = 0; // a REX followed by a legacy prefix is ignored
    i++;
  }
  const opAt = i - start;
  // Which opcode map: 0 one-byte, 1 0F, 2 0F38, 3 0F3A (legacy), or a VEX/EVEX/XOP map (vex true).
  let map = 0;
  let vex = false;
  let op = b;
  let spec = 0;
  let modrm = false;
  let imm = 0; // immediate bytes outside the legacy one- and two-byte maps
  i++;
  if (op === 0xc4 || op === 0xc5 || op === 0x62 || (op === 0x8f && i < end && (bytes[i]! & 0x1f) >= 8)) {
    // VEX (c4, c5), EVEX (62), XOP (8f with a map of 8 or more): the map, then opcode and ModRM.
    if (rex !== 0 || opsize || rep !== 0) return null;
    const n = op === 0xc5 ? 1 : op === 0x62 ? 3 : 2;
    if (i + n >= end) return null;
    const p0 = bytes[i]!;
    map = op === 0xc5 ? 1 : op === 0x62 ? p0 & 7 : p0 & 0x1f;
    if (op === 0x62 && (bytes[i + 1]! & 4) === 0) return null; // EVEX's fixed bit
    const xop = op === 0x8f;
    const evex = op === 0x62;
    vex = true;
    i += n;
    op = bytes[i++]!;
    modrm = !(map === 1 && op === 0x77 && !xop && !evex); // vzeroupper, vzeroall
    if (xop) {
      if (map === 8) imm = 1;
      else if (map === 0xa) imm = 4;
      else if (map !== 9) return null;
    } else if (map === 1) imm = map1Imm8(op) ? 1 : 0;
    else if (map === 3) imm = 1;
    else if (map !== 2 && !(evex && (map === 5 || map === 6))) return null;
  } else if (op === 0x0f) {
    if (i >= end) return null;
    op = bytes[i++]!;
    if (op === 0x38 || op === 0x3a) {
      map = op === 0x38 ? 2 : 3;
      if (i >= end) return null;
      op = bytes[i++]!;
      modrm = true;
      imm = map === 3 ? 1 : 0;
    } else {
      map = 1;
      spec = TWO[op]!;
    }
  } else {
    spec = ONE[op]!;
  }
  const legacy = !vex && map <= 1;
  if (legacy) {
    if (spec === INVALID) return null;
    modrm = (spec & M) !== 0;
  }
  let reg = 0;
  let ripDisp = -1;
  let mod = 3;
  if (modrm) {
    if (i >= end) return null;
    const m = bytes[i++]!;
    mod = m >> 6;
    reg = (m >> 3) & 7;
    const rm = m & 7;
    if (mod !== 3) {
      if (rm === 4) {
        if (i >= end) return null;
        const sib = bytes[i++]!;
        if (mod === 0 && (sib & 7) === 5) i += 4;
      } else if (mod === 0 && rm === 5) {
        ripDisp = i - start;
        i += 4;
      }
      if (mod === 1) i += 1;
      else if (mod === 2) i += 4;
    }
  }
  // Immediates of the legacy one- and two-byte maps.
  if (legacy) {
    switch (spec & 0x7f) {
      case Imm.B: imm = 1; break;
      case Imm.W: imm = 2; break;
      case Imm.Z: imm = opsize && map === 0 && op !== 0xe8 && op !== 0xe9 ? 2 : 4; break;
      case Imm.V: imm = (rex & 8) !== 0 ? 8 : opsize ? 2 : 4; break;
      case Imm.WB: imm = 3; break;
      case Imm.MOFFS: imm = adsize ? 4 : 8; break;
      case Imm.GROUP3: imm = reg <= 1 ? (op === 0xf6 ? 1 : opsize ? 2 : 4) : 0; break;
      case Imm.SSE4A: imm = opsize || rep === 0xf2 ? 2 : 0; break;
      default: imm = 0;
    }
    if (map === 1 && op >= 0x80 && op <= 0x8f) imm = 4; // jcc rel32, whatever the prefixes
  }
  i += imm;
  if (i > end) return null;
  const length = i - start;
  let flow = Flow.Next;
  let kind = Kind.Other;
  let target = -1;
  const rel = (size: number) => {
    const v = size === 1 ? (bytes[i - 1]! << 24) >> 24 : (bytes[i - 4]! | (bytes[i - 3]! << 8) | (bytes[i - 2]! << 16) | (bytes[i - 1]! << 24));
    return at + length + v;
  };
  if (legacy && map === 0) {
    if (op >= 0x70 && op <= 0x7f) { flow = Flow.Conditional; target = rel(1); }
    else if (op >= 0xe0 && op <= 0xe3) { flow = Flow.Loop; target = rel(1); }
    else if (op === 0xeb) { flow = Flow.Jump; target = rel(1); }
    else if (op === 0xe9 || op === 0xe8) {
      if (opsize && (rex & 8) === 0) return null; // rel16 on AMD, rel32 on Intel: not relied on
      flow = op === 0xe9 ? Flow.Jump : Flow.Call;
      target = rel(4);
    } else if (op === 0xff) {
      if (reg === 2 || reg === 3) flow = Flow.IndirectCall;
      else if (reg === 4 || reg === 5) flow = Flow.IndirectJump;
      else if (reg === 7) return null;
    } else if (op === 0xc2 || op === 0xc3 || op === 0xca || op === 0xcb || op === 0xcf) flow = Flow.Return;
    else if (op === 0xcc) { flow = Flow.Interrupt; kind = Kind.Int3; }
    else if (op === 0xcd || op === 0xf1) flow = Flow.Interrupt;
    else if (op === 0xf4) flow = Flow.Exception;
    else if (op === 0x90 && (rex & 1) === 0 && rep !== 0xf3) kind = Kind.Nop;
    else if (op === 0xc7 && mod === 3 && reg === 7) { flow = Flow.Special; target = rel(opsize ? 2 : 4); } // xbegin
    else if (op === 0xfe && reg >= 2) return null;
  } else if (legacy) {
    if (op >= 0x80 && op <= 0x8f) {
      if (opsize && (rex & 8) === 0) return null;
      flow = Flow.Conditional;
      target = rel(4);
    } else if (op === 0x0b || op === 0xb9 || op === 0xff) { flow = Flow.Exception; kind = op === 0x0b ? Kind.Ud2 : Kind.Other; }
    else if (op === 0x05 || op === 0x34) { flow = Flow.Special; kind = op === 0x05 ? Kind.Syscall : Kind.Other; }
    else if (op === 0x07 || op === 0x35) flow = Flow.Return;
    else if (op === 0x1f && reg === 0) kind = Kind.Nop;
  }
  return { at, length, flow, kind, target, ripDisp, opAt };
}

/** Decodes bytes[from, to) (bytes[0] at address `base`) instruction by instruction; null if any is unknown or the last runs past `to`. */
export function decodeRun(bytes: Uint8Array, base: number, from: number, to: number): Insn[] | null {
  const out = decodePrefix(bytes, base, from, to);
  const last = out[out.length - 1];
  return (last ? last.at + last.length : from) === to ? out : null;
}

/** The instructions of bytes[from, to) up to the first that is unknown or runs past `to`. */
export function decodePrefix(bytes: Uint8Array, base: number, from: number, to: number): Insn[] {
  const out: Insn[] = [];
  const view = bytes.subarray(0, to - base);
  for (let a = from; a < to;) {
    const insn = decodeAt(view, a - base, a);
    if (!insn) break;
    out.push(insn);
    a += insn.length;
  }
  return out;
}

/**
 * The instruction's bytes for running at address `to` instead of insn.at: a rip-relative operand's
 * displacement moved, a jump or conditional branch re-encoded with a 32-bit displacement to the same
 * target (prefixes dropped: branch hints, bnd). Null for what cannot move (a call, a loop, a trap,
 * an indirect or special transfer) or a displacement out of reach.
 */
export function relocate(bytes: Uint8Array, base: number, insn: Insn, to: number): Uint8Array | null {
  const own = bytes.subarray(insn.at - base, insn.at - base + insn.length);
  const rel32 = (out: Uint8Array, at: number, target: number, end: number): Uint8Array | null => {
    const d = target - end;
    if (d < -0x80000000 || d > 0x7fffffff) return null;
    new DataView(out.buffer).setInt32(at, d, true);
    return out;
  };
  if (insn.flow === Flow.Jump) return rel32(new Uint8Array([0xe9, 0, 0, 0, 0]), 1, insn.target, to + 5);
  if (insn.flow === Flow.Conditional) {
    const op = own[insn.opAt]!;
    const cc = op === 0x0f ? own[insn.opAt + 1]! & 0xf : op & 0xf;
    return rel32(new Uint8Array([0x0f, 0x80 | cc, 0, 0, 0, 0]), 2, insn.target, to + 6);
  }
  if (insn.flow !== Flow.Next) return null;
  const out = own.slice();
  if (insn.ripDisp >= 0) {
    const view = new DataView(out.buffer);
    const disp = view.getInt32(insn.ripDisp, true);
    const abs = insn.at + insn.length + disp;
    return rel32(out, insn.ripDisp, abs, to + insn.length);
  }
  return out;
}
