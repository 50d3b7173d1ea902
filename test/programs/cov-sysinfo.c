/* cov-sysinfo.c: what the system says about itself: personality (queried, then ADDR_NO_RANDOMIZE set and
 * read back), uname, sysinfo, gethostname, getpid/getppid/getuid, the clock's resolution. */
#define _GNU_SOURCE
#include <sys/personality.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int p = personality(0xffffffff);
  int q = personality((unsigned long)p | ADDR_NO_RANDOMIZE);
  say("personality-linux %s set-returned-old %s now-has-flag %s\n", (p & PER_MASK) == PER_LINUX ? "yes" : "no", q == p ? "yes" : "no",
      personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "yes" : "no");
  struct utsname u;
  uname(&u);
  say("uname %s %s machine %s\n", u.sysname, u.release, u.machine);
  struct sysinfo si;
  sysinfo(&si);
  say("sysinfo uptime %ld totalram %lu procs %u\n", si.uptime, si.totalram, si.procs);
  char host[256];
  gethostname(host, sizeof host);
  say("hostname %s\n", host);
  say("ids pid %d ppid %d uid %d\n", getpid(), getppid(), getuid());
  struct timespec r;
  clock_getres(CLOCK_MONOTONIC, &r);
  say("res %ld\n", r.tv_nsec);
  say("EXIT-SUCCESS\n");
  return 0;
}
