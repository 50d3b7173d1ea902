/* execchild.c: starting programs from a child.
 *  1. fork, then execv of /bin/echo with the child's pid as an argument.
 *  2. fork, then execv of this program with "child" arguments: it prints its pid, parent and a time
 *     and exits with status 3.
 *  3. vfork, then execv of this program (status 4).
 *  4. posix_spawn of /bin/echo and of this program (status 5).
 *  5. A failing exec (a path that does not exist) in a child: errno reported, status 127.
 * Pids and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

extern char **environ;

static void reap(pid_t pid, const char *what) {
  int status = -1;
  if (waitpid(pid, &status, 0) != pid) die(what);
  say("%s reaped exited %d code %d\n", what, WIFEXITED(status), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "child") == 0) {
    say("exec-child %s pid %d ppid %d time %lld\n", argv[2], (int)getpid(), (int)getppid(), clock_ns(CLOCK_REALTIME));
    return atoi(argv[3 < argc ? 3 : 2]);
  }
  const char *self = argv[0];
  say("parent pid %d\n", (int)getpid());

  /* 1. fork + exec /bin/echo */
  pid_t c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    char *args[] = {"echo", "echo-from-child", pidbuf, NULL};
    execv("/bin/echo", args);
    _exit(127);
  }
  reap(c, "echo");

  /* 2. fork + exec self */
  c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    char *args[] = {(char *)self, "child", "forked", "3", NULL};
    execv(self, args);
    _exit(127);
  }
  reap(c, "forked-self");

  /* 3. vfork + exec self */
  c = vfork();
  if (c < 0) die("vfork");
  if (c == 0) {
    char *args[] = {(char *)self, "child", "vforked", "4", NULL};
    execv(self, args);
    _exit(127);
  }
  reap(c, "vforked-self");

  /* 4. posix_spawn */
  char *eargs[] = {"echo", "echo-from-posix_spawn", NULL};
  int rc = posix_spawn(&c, "/bin/echo", NULL, NULL, eargs, environ);
  if (rc != 0) {
    errno = rc;
    die("posix_spawn echo");
  }
  reap(c, "spawned-echo");
  char *sargs[] = {(char *)self, "child", "spawned", "5", NULL};
  rc = posix_spawn(&c, self, NULL, NULL, sargs, environ);
  if (rc != 0) {
    errno = rc;
    die("posix_spawn self");
  }
  reap(c, "spawned-self");

  /* 5. exec of a missing program */
  c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    char *args[] = {"nope", NULL};
    execv("/nonexistent/rewind-test-no-such-program", args);
    say("exec-missing errno-enoent %s\n", errno == ENOENT ? "yes" : "no");
    _exit(127);
  }
  reap(c, "missing");

  say("parent time %lld\n", clock_ns(CLOCK_REALTIME));
  say("EXIT-SUCCESS\n");
  return 0;
}
