// Kernel ABI (instruction set): the x86-64 instruction bytes rewind writes or recognises in a tracee's
// code (Intel SDM vol. 2).

/** int3, the breakpoint instruction (one byte: it fits over any instruction). */
export const INT3 = 0xcc;
/** ud2 (0f 0b): always raises #UD (SIGILL), the trap patched sites hold. */
export const UD2: readonly number[] = [0x0f, 0x0b];
/** The one-byte nop. */
export const NOP = 0x90;
/** syscall (0f 05). */
export const SYSCALL_INSN: readonly number[] = [0x0f, 0x05];

/** Whether `code` starts with a syscall instruction. */
export function isSyscallInsn(code: Uint8Array): boolean {
  return code.length >= 2 && code[0] === SYSCALL_INSN[0] && code[1] === SYSCALL_INSN[1];
}

/** Legacy prefixes (lock, rep/repne, segment overrides, operand and address size). */
const LEGACY_PREFIXES = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);
/** The string instructions a rep prefix repeats: ins, outs, movs, cmps, stos, lods, scas (byte and word forms). */
const STRING_OPCODES = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);

/**
 * Whether `code` starts with a rep/repe/repne string instruction (`rep movsb`, `rep stosq`…). The CPU
 * takes interrupts between its iterations, so a thread stopped at one may be halfway through it: rcx,
 * rsi and rdi partly advanced, a state no breakpoint at the instruction's start ever shows.
 */
export function isRepStringInsn(code: Uint8Array): boolean {
  return repStringLength(code) > 0;
}

/** The length of the rep string instruction `code` starts with (prefixes, REX, opcode), or 0 when it is none. */
export function repStringLength(code: Uint8Array): number {
  let rep = false;
  let i = 0;
  for (; i < code.length && i < 14 && LEGACY_PREFIXES.has(code[i]!); i++) rep ||= code[i] === 0xf2 || code[i] === 0xf3;
  if (i < code.length && (code[i]! & 0xf0) === 0x40) i++; // REX
  return rep && i < code.length && STRING_OPCODES.has(code[i]!) ? i + 1 : 0;
}
