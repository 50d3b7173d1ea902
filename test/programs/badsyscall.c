/* badsyscall.c: system call numbers the kernel does not know — -1, a gap in the table, past its end,
 * x32's range (0x40000000 and up) — each answered with ENOSYS, then a real one still works. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include "say.h"

static void try(long nr) {
  errno = 0;
  long r = syscall(nr);
  int e = errno;
  say("syscall(%#lx) = %ld errno %s\n", nr, r, e == ENOSYS ? "ENOSYS" : strerror(e));
}

int main(void) {
  try(-1);
  try(400);
  try(1000);
  try(0x40000000L + 39);
  try(0x40000000L + 1000);
  try(0x7fffffffL);
  say("getpid works: %s\n", syscall(SYS_getpid) == getpid() ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
