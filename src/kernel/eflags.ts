// Kernel ABI: the x86 EFLAGS bits rewind reads or sets in user_regs_struct.eflags
// (arch/x86/include/uapi/asm/processor-flags.h; Intel SDM vol. 1, 3.4.3).

/** Trap flag: a debug trap after each instruction (single step). */
export const X86_EFLAGS_TF = 0x100n;
/** Resume flag: the next instruction does not take an instruction breakpoint's debug trap. */
export const X86_EFLAGS_RF = 0x10000n;
