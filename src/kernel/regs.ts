// struct user_regs_struct (arch/x86/include/asm/user_64.h): the 27 u64 PTRACE_GETREGS reads, in kernel order.

/** Index of each register in user_regs_struct (byte offset = index * 8). */
export const enum R {
  r15 = 0, r14 = 1, r13 = 2, r12 = 3, rbp = 4, rbx = 5, r11 = 6, r10 = 7, r9 = 8, r8 = 9,
  rax = 10, rcx = 11, rdx = 12, rsi = 13, rdi = 14, orig_rax = 15, rip = 16, cs = 17, eflags = 18,
  rsp = 19, ss = 20, fs_base = 21, gs_base = 22, ds = 23, es = 24, fs = 25, gs = 26,
}

export const REGS_COUNT = 27;
/** sizeof(struct user_regs_struct); also the NT_PRSTATUS regset size. */
export const REGS_SIZE = REGS_COUNT * 8;

/** Register names in user_regs_struct order: REG_NAMES[R.rax] === 'rax'. */
export const REG_NAMES: readonly string[] = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8',
  'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags',
  'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
];

/** Registers holding syscall arguments 0..5 (x86-64 syscall ABI: rdi, rsi, rdx, r10, r8, r9). */
export const SYSCALL_ARG_REGS: readonly R[] = [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9];
/** The syscall number at entry (rax is clobbered with -ENOSYS by the kernel before the entry stop). */
export const SYSCALL_NR_REG = R.orig_rax;

/**
 * The syscall number at a syscall entry, as the kernel reads it: the low 32 bits of orig_rax, signed
 * (`syscall(-1)` is -1; the x86-64 entry code and seccomp both take it as an int).
 */
export function syscallNr(regs: BigUint64Array): number {
  return Number(BigInt.asIntN(32, regs[R.orig_rax]!));
}
/** The return value at exit. */
export const SYSCALL_RESULT_REG = R.rax;

/** Index of a register name, or undefined. */
export function regIndex(name: string): R | undefined {
  const i = REG_NAMES.indexOf(name);
  return i < 0 ? undefined : (i as R);
}
