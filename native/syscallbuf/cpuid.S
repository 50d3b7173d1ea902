/*
 * CPUID answered in the program: patched cpuid sites (src/patch/cpuid-sites.ts) call sb_cpuid from
 * their stub instead of trapping to the tracer. In: eax = leaf, ecx = subleaf. Out: eax, ebx, ecx,
 * edx as CPUID gives them (upper halves zeroed); every other register and the flags as before, as
 * CPUID keeps them (saved with lahf/seto and put back with add/sahf: no pushf/popf, which under a
 * debugger's single steps would hand the trap flag to the program).
 *
 * The answers are the recording's table (src/tracee/cpuid-table.ts), written by rewind at
 * sb_cpuid_table before the program runs, the same at record and at replay: u32 count, 12 bytes
 * unused, then count entries of 32 bytes: u32 leaf, u32 subleaf, u32 flags (bit 0: the subleaf
 * matters), u32 eax, ebx, ecx, edx, u32 unused. A question the table does not answer stops at
 * sb_cpuid_trap, a ud2 the tracer emulates as a trapped cpuid (recorded, and replayed, as one).
 */
  .text
  .globl sb_cpuid
sb_cpuid:
  push %rsi
  push %rdi
  push %r8
  push %r9
  mov %eax, %r8d
  lahf
  seto %al
  mov %eax, %r9d
  lea sb_cpuid_table(%rip), %rsi
  mov (%rsi), %edi
  add $16, %rsi
1:
  test %edi, %edi
  jz 3f
  cmp (%rsi), %r8d
  jne 2f
  testb $1, 8(%rsi)
  jz 4f
  cmp 4(%rsi), %ecx
  je 4f
2:
  add $32, %rsi
  dec %edi
  jmp 1b
3:
  mov %r9d, %eax
  add $0x7f, %al
  sahf
  mov %r8d, %eax
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  .globl sb_cpuid_trap
sb_cpuid_trap:
  ud2
  ret
4:
  mov %r9d, %eax
  add $0x7f, %al
  sahf
  mov 12(%rsi), %eax
  mov 16(%rsi), %ebx
  mov 20(%rsi), %ecx
  mov 24(%rsi), %edx
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  ret
  .section .note.GNU-stack,"",@progbits
