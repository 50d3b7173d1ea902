/* cov-prctl.c: process attributes through prctl: the name (PR_SET_NAME / PR_GET_NAME, seen in
 * /proc/self/comm), the parent-death signal, dumpable, child subreaper, timer slack, no_new_privs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  char name[17] = {0};
  prctl(PR_SET_NAME, "cov-renamed", 0, 0, 0);
  prctl(PR_GET_NAME, name, 0, 0, 0);
  char comm[32] = {0};
  int fd = open("/proc/self/comm", O_RDONLY);
  ssize_t n = read(fd, comm, sizeof comm - 1);
  if (n > 0 && comm[n - 1] == '\n') comm[n - 1] = 0;
  close(fd);
  say("name %s comm %s\n", name, comm);
  int sig = -1;
  prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
  prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
  say("pdeathsig %d\n", sig);
  say("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  int sub = -1;
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0);
  say("subreaper %d\n", sub);
  prctl(PR_SET_TIMERSLACK, 12345, 0, 0, 0);
  say("timerslack %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  say("no-new-privs-before %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  say("no-new-privs-after %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  say("EXIT-SUCCESS\n");
  return 0;
}
