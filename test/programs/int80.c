/* int80.c: prints a line, then makes a system call through the 32-bit ABI (int 0x80: getpid), which
 * rewind cannot record: its seccomp filter kills the program, and rewind must say so. */
#include "say.h"

int main(void) {
  say("before int 0x80\n");
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  say("after int 0x80: %ld\n", r);
  return 0;
}
