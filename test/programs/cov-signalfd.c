/* cov-signalfd.c: signals read from a signalfd: SIGUSR1 raised, SIGUSR2 from a forked child with
 * sigqueue's value, SIGCHLD for its exit; poll sees the fd readable; prints each siginfo it read. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGUSR2);
  sigaddset(&m, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &m, NULL) != 0) die("sigprocmask");
  int fd = signalfd(-1, &m, SFD_CLOEXEC);
  if (fd < 0) die("signalfd");
  raise(SIGUSR1);
  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) {
    union sigval v = {.sival_int = 42};
    sigqueue(parent, SIGUSR2, v);
    _exit(3);
  }
  int got = 0;
  while (got < 3) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) die("poll");
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) != sizeof si) die("read");
    got++;
    if (si.ssi_signo == SIGUSR1) say("sigusr1 code %d from-self %s\n", si.ssi_code, si.ssi_pid == (unsigned)parent ? "yes" : "no");
    else if (si.ssi_signo == SIGUSR2) say("sigusr2 code %d value %d from-child %s\n", si.ssi_code, si.ssi_int, si.ssi_pid == (unsigned)c ? "yes" : "no");
    else say("sigchld code %d status %d\n", si.ssi_code, si.ssi_status);
  }
  int st;
  waitpid(c, &st, 0);
  say("child-status %d\n", WEXITSTATUS(st));
  say("EXIT-SUCCESS\n");
  return 0;
}
