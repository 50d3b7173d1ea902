/* tree.c: a process tree.
 *  1. fork + pipe + wait4: a child sends its pid and a clock reading through a pipe; the parent
 *     reaps it with wait4 (status and rusage).
 *  2. A middle child forks a grandchild and exits before it; the grandchild (orphaned) reports
 *     its new parent's relation and its pid through a pipe the top process reads to end of file.
 *  3. A child blocked in read(2) is killed by SIGTERM from its parent; wait4 reports the signal.
 *  4. waitid(P_PID) on a child that exits with status 7.
 *  5. A child in its own process group (setpgid from both sides), reaped with waitpid(-pgid);
 *     a child that makes its own session with setsid.
 * Pids and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static void read_all(int fd, char *buf, size_t cap) {
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, buf + got, cap - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    got += (size_t)n;
    if (got == cap - 1) break;
  }
  buf[got] = '\0';
}

int main(void) {
  pid_t me = getpid();
  say("top pid %d\n", (int)me);

  /* 1. fork + pipe + wait4 */
  int p[2];
  if (pipe(p) != 0) die("pipe");
  pid_t c1 = fork();
  if (c1 < 0) die("fork");
  if (c1 == 0) {
    close(p[0]);
    char msg[128];
    int n = snprintf(msg, sizeof msg, "child1 pid %d ppid-is-top %s time %lld", (int)getpid(),
                     getppid() == me ? "yes" : "no", clock_ns(CLOCK_REALTIME));
    if (write(p[1], msg, (size_t)n) != n) _exit(2);
    _exit(0);
  }
  close(p[1]);
  char buf[512];
  read_all(p[0], buf, sizeof buf);
  close(p[0]);
  say("from-child1 [%s]\n", buf);
  int status = -1;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t w = wait4(c1, &status, 0, &ru);
  if (w != c1) die("wait4 child1");
  say("wait4 child1 pid %d same %s exited %d code %d utime-nonneg %s\n", (int)w, w == c1 ? "yes" : "no", WIFEXITED(status),
      WEXITSTATUS(status), ru.ru_utime.tv_sec >= 0 ? "yes" : "no");

  /* 2. the middle process exits before its child */
  if (pipe(p) != 0) die("pipe");
  pid_t mid = fork();
  if (mid < 0) die("fork");
  if (mid == 0) {
    close(p[0]);
    pid_t mymid = getpid();
    pid_t g = fork();
    if (g < 0) _exit(2);
    if (g == 0) {
      /* wait until the middle process is gone: our parent changes */
      for (int i = 0; i < 2000 && getppid() == mymid; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
      }
      char msg[128];
      int n = snprintf(msg, sizeof msg, "grandchild pid %d reparented %s time %lld", (int)getpid(),
                       getppid() != mymid ? "yes" : "no", clock_ns(CLOCK_REALTIME));
      if (write(p[1], msg, (size_t)n) != n) _exit(2);
      _exit(0);
    }
    _exit(4); /* the middle one leaves first */
  }
  close(p[1]);
  if (waitpid(mid, &status, 0) != mid) die("waitpid mid");
  say("middle exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));
  read_all(p[0], buf, sizeof buf);
  close(p[0]);
  say("from-grandchild [%s]\n", buf);

  /* 3. SIGTERM from the parent to a child blocked in read */
  int ready[2], block[2];
  if (pipe(ready) != 0 || pipe(block) != 0) die("pipe");
  pid_t victim = fork();
  if (victim < 0) die("fork");
  if (victim == 0) {
    close(ready[0]);
    close(block[1]);
    if (write(ready[1], "r", 1) != 1) _exit(2);
    char c;
    ssize_t n = read(block[0], &c, 1); /* never returns: nobody writes */
    _exit(n == 0 ? 5 : 6);
  }
  close(ready[1]);
  close(block[0]);
  char c;
  if (read(ready[0], &c, 1) != 1) die("read ready");
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL); /* let it reach the read */
  if (kill(victim, SIGTERM) != 0) die("kill");
  if (wait4(victim, &status, 0, NULL) != victim) die("wait4 victim");
  say("victim pid %d signaled %d termsig %d\n", (int)victim, WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  close(ready[0]);
  close(block[1]);

  /* 4. waitid */
  pid_t c4 = fork();
  if (c4 < 0) die("fork");
  if (c4 == 0) _exit(7);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)c4, &si, WEXITED) != 0) die("waitid");
  say("waitid pid %d same %s code-exited %s status %d signo-chld %s\n", (int)si.si_pid, si.si_pid == c4 ? "yes" : "no",
      si.si_code == CLD_EXITED ? "yes" : "no", si.si_status, si.si_signo == SIGCHLD ? "yes" : "no");

  /* 5. process group and session */
  if (pipe(p) != 0) die("pipe");
  pid_t grp = fork();
  if (grp < 0) die("fork");
  if (grp == 0) {
    close(p[1]);
    setpgid(0, 0);
    char x;
    if (read(p[0], &x, 1) != 1) _exit(2); /* wait until the parent has seen the group */
    say("pgchild pid %d pgid-is-self %s\n", (int)getpid(), getpgid(0) == getpid() ? "yes" : "no");
    _exit(11);
  }
  close(p[0]);
  if (setpgid(grp, grp) != 0 && errno != EACCES) die("setpgid");
  say("pgchild pgid-seen-by-parent %s parent-pgid-differs %s\n", getpgid(grp) == grp ? "yes" : "no",
      getpgid(0) != grp ? "yes" : "no");
  if (write(p[1], "g", 1) != 1) die("write");
  close(p[1]);
  if (waitpid(-grp, &status, 0) != grp) die("waitpid -pgid");
  say("pgchild reaped-by-group exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));

  pid_t sess = fork();
  if (sess < 0) die("fork");
  if (sess == 0) {
    pid_t old = getsid(0);
    pid_t s = setsid();
    say("session child pid %d setsid-ok %s sid-is-self %s pgid-is-self %s old-sid-differs %s\n", (int)getpid(),
        s == getpid() ? "yes" : "no", getsid(0) == getpid() ? "yes" : "no", getpgid(0) == getpid() ? "yes" : "no",
        old != getpid() ? "yes" : "no");
    _exit(12);
  }
  if (waitpid(sess, &status, 0) != sess) die("waitpid sess");
  say("session child exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));

  /* nothing left to reap */
  errno = 0;
  pid_t none = waitpid(-1, &status, WNOHANG);
  say("no-more-children %s\n", none < 0 && errno == ECHILD ? "yes" : "no");
  say("top time %lld\n", clock_ns(CLOCK_REALTIME));
  say("EXIT-SUCCESS\n");
  return 0;
}
