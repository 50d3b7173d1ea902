/* Children that stop themselves and are continued, and children killed by signals. A child raises
 * SIGSTOP; the parent sees it stopped (WUNTRACED), sends SIGCONT, sees it continued (WCONTINUED) and
 * then its exit. Then four children end by SIGKILL, SIGTERM (both sent by the parent), SIGSEGV (a bad
 * store) and SIGABRT (abort), and the parent prints each wait status. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "say.h"

static void show(const char *what, pid_t pid, int status) {
  if (WIFSTOPPED(status)) say("%s pid %d stopped sig %d\n", what, pid, WSTOPSIG(status));
  else if (WIFCONTINUED(status)) say("%s pid %d continued\n", what, pid);
  else if (WIFEXITED(status)) say("%s pid %d exited code %d\n", what, pid, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) say("%s pid %d killed sig %d\n", what, pid, WTERMSIG(status));
}

int main(void) {
  pid_t c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    raise(SIGSTOP);
    say("stopper resumed\n");
    _exit(5);
  }
  int status;
  if (waitpid(c, &status, WUNTRACED) != c) die("waitpid stop");
  show("stopper", c, status);
  if (kill(c, SIGCONT) != 0) die("kill SIGCONT");
  if (waitpid(c, &status, WCONTINUED) != c) die("waitpid cont");
  show("stopper", c, status);
  if (waitpid(c, &status, 0) != c) die("waitpid exit");
  show("stopper", c, status);

  int sigs[] = { SIGKILL, SIGTERM, SIGSEGV, SIGABRT };
  for (int i = 0; i < 4; i++) {
    int fds[2];
    if (pipe(fds) != 0) die("pipe");
    pid_t k = fork();
    if (k < 0) die("fork");
    if (k == 0) {
      struct rlimit none = { 0, 0 };
      setrlimit(RLIMIT_CORE, &none); /* no core files */
      close(fds[0]);
      if (write(fds[1], "r", 1) != 1) _exit(2);
      if (sigs[i] == SIGSEGV) *(volatile int *)(long)i = 1;
      if (sigs[i] == SIGABRT) abort();
      for (;;) pause();
    }
    close(fds[1]);
    char b;
    if (read(fds[0], &b, 1) != 1) die("read");
    close(fds[0]);
    if (sigs[i] == SIGKILL || sigs[i] == SIGTERM) kill(k, sigs[i]);
    if (waitpid(k, &status, 0) != k) die("waitpid");
    show("victim", k, status);
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
