/* sigint.c: a child process sends SIGINT to its parent, which has an SA_SIGINFO handler.
 *  1. The parent waits in sigsuspend; the handler reports si_pid (the child's pid) and si_code.
 *  2. The parent spins in user code on a flag (no system call, no counter) until a second SIGINT
 *     from a second child, sent after the child has slept, sets it.
 * The parent reaps both children. Pids and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static volatile sig_atomic_t got;
static volatile pid_t from;
static void on_int(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  from = si->si_pid;
  say("SIGINT handler sig %d si_pid %d si_code-user %s\n", sig, (int)si->si_pid, si->si_code == SI_USER ? "yes" : "no");
  got = got + 1;
}

int main(void) {
  say("parent pid %d\n", (int)getpid());
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = on_int;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGINT, &sa, NULL);

  /* 1. in sigsuspend */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    if (kill(getppid(), SIGINT) != 0) _exit(2);
    _exit(0);
  }
  while (got == 0) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  int status = -1;
  if (waitpid(c, &status, 0) != c) die("waitpid");
  say("first from-child %s child pid %d exited %d code %d\n", from == c ? "yes" : "no", (int)c, WIFEXITED(status), WEXITSTATUS(status));

  /* 2. while spinning in user code */
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL);
    if (kill(getppid(), SIGINT) != 0) _exit(2);
    _exit(0);
  }
  while (got < 2)
    ;
  long long spun = clock_ns(CLOCK_MONOTONIC) - t0;
  if (waitpid(c, &status, 0) != c) die("waitpid");
  say("second from-child %s child pid %d exited %d code %d spun-ns %lld\n", from == c ? "yes" : "no", (int)c, WIFEXITED(status),
      WEXITSTATUS(status), spun);
  say("EXIT-SUCCESS\n");
  return 0;
}
