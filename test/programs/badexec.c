/* badexec.c: execve with bad pointers — the path, argv, envp, a string inside argv — each fails with
 * EFAULT and the program goes on. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include "say.h"

static void try(const char *what, const void *path, const void *argv, const void *envp) {
  errno = 0;
  long r = syscall(SYS_execve, path, argv, envp);
  int e = errno;
  say("%s: %ld %s\n", what, r, e == EFAULT ? "EFAULT" : strerror(e));
}

int main(void) {
  char *bad = (char *)0xdeadbeef;
  char *argv[] = { "/bin/true", NULL };
  char *badarg[] = { "/bin/true", bad, NULL };
  char *envp[] = { "A=1", NULL };
  try("bad path", bad, argv, envp);
  try("bad argv", "/bin/true", bad, envp);
  try("bad envp", "/bin/true", argv, bad);
  try("bad argv[1]", "/bin/true", badarg, envp);
  say("EXIT-SUCCESS\n");
  return 0;
}
