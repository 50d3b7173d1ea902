/* hwwatch.c: a target for hardware breakpoint and watchpoint tests. It stops at an int3 with the
 * addresses the tracer needs in registers (rax = &watched, rbx = hw_target, rcx = after_write,
 * rdx = after_read), then: writes watched (42) at a labelled instruction, calls hw_target, reads
 * watched at a labelled instruction, writes it again (7), calls hw_target again, and exits with
 * status 42 + sink (sink counts the calls: 2), so 44 when everything ran. */
#include <stdint.h>

volatile uint64_t watched = 1;
volatile uint64_t sink;
extern char after_write[], after_read[];

__attribute__((noinline)) void hw_target(void) {
  sink = sink + 1;
}

int main(void) {
  __asm__ volatile("int3" : : "a"(&watched), "b"(hw_target), "c"(after_write), "d"(after_read) : "memory");
  __asm__ volatile("movq $42, %0\n.globl after_write\nafter_write:" : "=m"(watched) : : "memory");
  hw_target();
  uint64_t seen;
  __asm__ volatile("movq %1, %0\n.globl after_read\nafter_read:" : "=r"(seen) : "m"(watched) : "memory");
  watched = 7;
  hw_target();
  return (int)(seen + sink);
}
