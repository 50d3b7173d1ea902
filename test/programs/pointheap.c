/* pointheap.c: a target for the in-process point trap (src/patch/point-trap.test.ts): a loop whose
 * every pass grows the heap by 128 KiB with brk, as a replayed program's buffered brk calls do while the
 * trap waits for a later pass. 256 KiB of code before the loop put the point nearer the end of the
 * executable's memory, where the heap starts, than its start: a trampoline page placed just above the
 * heap would block its growth. The program stops at an int3 with rbx = the point, r12 = the number of
 * passes, r14 = the break, then runs the loop, whose head has the pass in r13 and the break asked for
 * in r14, with rax, rcx, rdi and r11 zero. It exits with the number of brk calls that failed. */
#include <stdint.h>

int main(void) {
  uint64_t failed;
  __asm__ volatile(
    "mov $12, %%eax\n"
    "xor %%edi, %%edi\n"
    "syscall\n" /* brk(0): the break */
    "mov %%rax, %%r14\n"
    "jmp 3f\n"
    ".rept 262144\n nop\n .endr\n"
    "3: lea 1f(%%rip), %%rbx\n"
    "mov $20, %%r12\n"
    "xor %%r13d, %%r13d\n"
    "xor %%r15d, %%r15d\n"
    "xor %%eax, %%eax\n"
    "xor %%ecx, %%ecx\n"
    "xor %%edi, %%edi\n"
    "xor %%r11d, %%r11d\n"
    "int3\n"
    "jmp 2f\n"
    "1: add $0x20000, %%r14\n"
    "mov $12, %%eax\n"
    "mov %%r14, %%rdi\n"
    "syscall\n"
    "cmp %%r14, %%rax\n"
    "setne %%al\n"
    "movzbl %%al, %%eax\n"
    "add %%rax, %%r15\n"
    "xor %%eax, %%eax\n"
    "xor %%ecx, %%ecx\n"
    "xor %%edi, %%edi\n"
    "xor %%r11d, %%r11d\n"
    "add $1, %%r13\n"
    "2: cmp %%r12, %%r13\n"
    "jb 1b\n"
    "mov %%r15, %0\n"
    : "=m"(failed)
    :
    : "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
  return (int)failed;
}
