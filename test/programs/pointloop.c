/* pointloop.c: a target for the in-process point trap (src/patch/point-trap.test.ts). A counting loop
 * of the shape gcc gives a `while` loop: a jump to the test, then the body, whose first instruction
 * (the point, 4 bytes) is reached only by the back edge and is followed by the jump's target, so no
 * five-byte jump fits there. Long straight code before and after keeps any padding out of a short
 * jump's reach. The program stops at an int3 with rbx = the point, r12 = the loop's bound, then runs
 * the loop (rax counts from 0 to the bound) and exits with status (count & 0x7f) + sink's low bit. */
#include <stdint.h>

volatile uint64_t sink;

#define FILL16 "mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n" \
               "mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n" \
               "mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n" \
               "mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n mov %%rcx, %[s]\n"

int main(void) {
  uint64_t count;
  __asm__ volatile(
    "xor %%ecx, %%ecx\n"
    FILL16
    "lea 1f(%%rip), %%rbx\n"
    "mov $100003, %%r12\n"
    "int3\n"
    "xor %%eax, %%eax\n"
    "jmp 2f\n"
    "1: add $1, %%rax\n"
    "2: mov %%r12, %%rdx\n"
    "cmp %%rdx, %%rax\n"
    "jb 1b\n"
    FILL16
    : "=a"(count), [s] "=m"(sink)
    :
    : "rbx", "rcx", "rdx", "r12", "cc", "memory");
  return (int)((count & 0x7f) + (sink & 1));
}
