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
