/* spawner.c: starts /bin/true three times with posix_spawn (glibc: a CLONE_VFORK clone, the parent
 * waiting in the kernel until the child executes), waiting for each; note() counts them. */
#include <spawn.h>
#include <sys/wait.h>
#include "say.h"

extern char **environ;
long spawned;

__attribute__((noinline)) void note(int i) {
  spawned++; /* NOTE */
  say("spawned %d\n", i);
}

int main(void) {
  for (int i = 0; i < 3; i++) {
    pid_t pid;
    char *argv[] = {"true", NULL};
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) die("posix_spawn");
    note(i);
    int st;
    if (waitpid(pid, &st, 0) != pid) die("waitpid");
  }
  say("done %ld\n", spawned);
  return 0;
}
