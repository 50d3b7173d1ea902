/*
 * The syscall buffer's entry from patched code (the per-site stubs and the vDSO call it), and its two
 * system call instructions. In: rax = syscall number, rdi rsi rdx r10 r8 r9 = arguments, as for
 * `syscall`. Out: rax = result; every other register as before except rcx and r11, which `syscall`
 * clobbers too (set here to the same values whether the call was recorded or replayed, so the
 * program's registers never depend on the mode). The flags are not kept (no caller of a syscall
 * wrapper or vDSO function relies on them); they end the same way in both modes. No pushf/popf: under
 * a debugger's single steps pushf would save the trap flag and popf give it back to the program.
 * The C part runs on the buffer's own stack: nothing
 * below the program's stack pointer but the return address changes.
 * Header fields read here (struct sb_header in syscallbuf.c): mode at %gs:12, stack top at %gs:16.
 */
  .text
  .globl sb_entry
sb_entry:
  movl %gs:12, %r11d
  testl %r11d, %r11d
  jz sb_traced
  mov %rsp, %r11
  mov %gs:16, %rsp
  push %r11
  push %r9
  push %r8
  push %r10
  push %rdx
  push %rsi
  push %rdi
  push %rax
  mov %rsp, %rdi
  call sb_hook
  mov %rdx, %rcx
  mov %rax, %r11
  pop %rax
  pop %rdi
  pop %rsi
  pop %rdx
  pop %r10
  pop %r8
  pop %r9
  pop %rsp
  test %rcx, %rcx
  jnz sb_traced
  mov %r11, %rax
  xor %r11d, %r11d
  ret
  .globl sb_traced
sb_traced:
  syscall
  .globl sb_traced_ip
sb_traced_ip:
  xor %ecx, %ecx
  xor %r11d, %r11d
  ret

/* long sb_untraced(long nr, long a1, long a2, long a3, long a4, long a5, long a6): the one syscall
   instruction rewind's seccomp filter lets through without a stop (by its address). */
  .globl sb_untraced
sb_untraced:
  mov %rdi, %rax
  mov %rsi, %rdi
  mov %rdx, %rsi
  mov %rcx, %rdx
  mov %r8, %r10
  mov %r9, %r8
  mov 8(%rsp), %r9
  syscall
  .globl sb_untraced_ip
sb_untraced_ip:
  ret
  .section .note.GNU-stack,"",@progbits
