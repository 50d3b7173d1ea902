/* cov-pidfd.c: pidfds: pidfd_open of a child, poll until it exits, waitid(P_PIDFD); a second child
 * killed with pidfd_send_signal; pidfd_getfd of the parent's own descriptor. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
  pid_t c = fork();
  if (c == 0) {
    usleep(5000);
    _exit(4);
  }
  int pfd = (int)syscall(SYS_pidfd_open, c, 0);
  if (pfd < 0) die("pidfd_open");
  struct pollfd p = {pfd, POLLIN, 0};
  int pr = poll(&p, 1, 5000);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int w = waitid((idtype_t)P_PIDFD, (id_t)pfd, &si, WEXITED);
  say("poll %d waitid %d code %d status %d pid-matches %s\n", pr, w, si.si_code, si.si_status, si.si_pid == c ? "yes" : "no");
  close(pfd);
  pid_t d = fork();
  if (d == 0) {
    for (;;) pause();
  }
  int dfd = (int)syscall(SYS_pidfd_open, d, 0);
  if (syscall(SYS_pidfd_send_signal, dfd, SIGTERM, NULL, 0) != 0) die("pidfd_send_signal");
  int st;
  waitpid(d, &st, 0);
  say("killed %s sig %d\n", WIFSIGNALED(st) ? "yes" : "no", WTERMSIG(st));
  int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
  int dup = (int)syscall(SYS_pidfd_getfd, self, 1, 0);
  say("getfd %s\n", dup >= 0 ? "ok" : strerror(errno));
  if (dup >= 0) write(dup, "written through the copied fd\n", 30);
  say("EXIT-SUCCESS\n");
  return 0;
}
