/* gdbsyscall.c: two labelled syscall instructions, for stepping over them under gdb: getpid (which
 * replay emulates) at `emulated_syscall`, and rt_sigprocmask (which replay executes) at
 * `executed_syscall`; the instruction after each is labelled `after_emulated` / `after_executed`.
 * It prints the pid it got, and a value from the clock (so runs differ). */
#define _GNU_SOURCE
#include <signal.h>
#include "say.h"

int main(void) {
  long pid;
  __asm__ volatile("mov $39, %%eax\n.globl emulated_syscall\nemulated_syscall: syscall\n.globl after_emulated\nafter_emulated: nop"
                   : "=a"(pid) : : "rcx", "r11", "memory");
  sigset_t old;
  long rc;
  register long a3 __asm__("r10") = 8;
  __asm__ volatile("mov $14, %%eax\n.globl executed_syscall\nexecuted_syscall: syscall\n.globl after_executed\nafter_executed: nop"
                   : "=a"(rc) : "D"(SIG_BLOCK), "S"(0L), "d"(&old), "r"(a3) : "rcx", "r11", "memory");
  say("pid %ld sigprocmask %ld time %lld\n", pid, rc, clock_ns(CLOCK_REALTIME) % 1000);
  return 0;
}
