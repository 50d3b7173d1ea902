/* cpuidlib.c: a shared library whose cpuid rewind sends to the syscall buffer's in-process CPUID (a
 * library is within a jump of the buffer's stubs; an executable is not), for cpuidcalls.c to dlopen.
 *
 * cpuid_probe(leaf, subleaf, out[4]) runs one cpuid with canaries around it: every register but
 * eax, ebx, ecx and edx, the arithmetic flags and the red zone below the stack pointer must be as they
 * were, as a real cpuid leaves them. Returns 0, or a bit for each that changed: 1 the flags, 2 a
 * register (rsi, rdi, r8-r11), 4 the red zone (but its top 8 bytes, where the probe's own pushfq
 * writes). The cpuid is at cpuid_site, followed by the plain
 * moves of its results a jump to a stub may displace with it. */
#include <stdint.h>

int cpuid_probe(uint32_t leaf, uint32_t sub, uint32_t out[4]);

__asm__(
  "  .text\n"
  "  .globl cpuid_probe\n"
  "  .type cpuid_probe, @function\n"
  "cpuid_probe:\n"
  "  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
  "  mov %edi, %r12d\n  mov %esi, %r13d\n  mov %rdx, %r15\n"
  "  movabs $0x1111222233334444, %r8\n  movabs $0x5555666677778888, %r9\n"
  "  mov %r8, %r10\n  not %r10\n  mov %r9, %r11\n  not %r11\n"
  "  mov %r8, %rsi\n  ror $8, %rsi\n  mov %r9, %rdi\n  ror $8, %rdi\n"
  "  mov %r8, -16(%rsp)\n  mov %r9, -64(%rsp)\n  mov %r10, -120(%rsp)\n  mov %r11, -128(%rsp)\n"
  "  movb $0x80, %bl\n  addb $0x80, %bl\n" /* CF, ZF, OF, PF set */
  "  pushfq\n  pop %r14\n"
  "  mov %r12d, %eax\n  mov %r13d, %ecx\n"
  "  .globl cpuid_site\n"
  "cpuid_site:\n"
  "  cpuid\n"
  "  mov %eax, (%r15)\n  mov %ebx, 4(%r15)\n  mov %ecx, 8(%r15)\n  mov %edx, 12(%r15)\n"
  "  pushfq\n  pop %rax\n  xor %r14, %rax\n  and $0x8d5, %eax\n  setnz %al\n  movzbl %al, %eax\n"
  "  movabs $0x1111222233334444, %rcx\n  movabs $0x5555666677778888, %rdx\n"
  "  xor %ebx, %ebx\n"
  "  cmp %rcx, %r8\n  jne 1f\n  cmp %rdx, %r9\n  jne 1f\n"
  "  not %rcx\n  not %rdx\n  cmp %rcx, %r10\n  jne 1f\n  cmp %rdx, %r11\n  jne 1f\n"
  "  not %rcx\n  not %rdx\n  ror $8, %rcx\n  ror $8, %rdx\n  cmp %rcx, %rsi\n  jne 1f\n  cmp %rdx, %rdi\n  jne 1f\n"
  "  jmp 2f\n"
  "1:\n  or $2, %ebx\n"
  "2:\n  movabs $0x1111222233334444, %rcx\n  movabs $0x5555666677778888, %rdx\n"
  "  cmp %rcx, -16(%rsp)\n  jne 3f\n  cmp %rdx, -64(%rsp)\n  jne 3f\n"
  "  not %rcx\n  not %rdx\n  cmp %rcx, -120(%rsp)\n  jne 3f\n  cmp %rdx, -128(%rsp)\n  jne 3f\n"
  "  jmp 4f\n"
  "3:\n  or $4, %ebx\n"
  "4:\n  or %ebx, %eax\n"
  "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n"
  "  ret\n"
  "  .size cpuid_probe, .-cpuid_probe\n");
