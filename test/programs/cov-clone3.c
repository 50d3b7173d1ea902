/* cov-clone3.c: a child made with clone3 when the kernel offers it (rewind answers ENOSYS, as rr does,
 * and the program falls back to fork, as glibc does); either way the child runs and is reaped. Also
 * clone with CLONE_VFORK|CLONE_VM through glibc's posix_spawn-like vfork. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  long c = syscall(SYS_clone3, &ca, sizeof ca);
  if (c < 0 && errno == ENOSYS) c = fork();
  if (c < 0) die("clone3/fork");
  if (c == 0) _exit(9);
  int st;
  if (waitpid((pid_t)c, &st, 0) != c) die("waitpid");
  say("child status %d\n", WEXITSTATUS(st));
  pid_t v = vfork();
  if (v == 0) _exit(11);
  waitpid(v, &st, 0);
  say("vfork child status %d\n", WEXITSTATUS(st));
  say("EXIT-SUCCESS\n");
  return 0;
}
