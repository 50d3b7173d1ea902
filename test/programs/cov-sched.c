/* cov-sched.c: scheduling calls: affinity (the mask the program started with, then one CPU and back),
 * sched_getcpu within it, policy and priority ranges, sched_rr_get_interval, nice, sched_yield. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  cpu_set_t all, one, now;
  if (sched_getaffinity(0, sizeof all, &all) != 0) die("getaffinity");
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, &all)) {
      first = i;
      break;
    }
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) die("setaffinity");
  sched_getaffinity(0, sizeof now, &now);
  int cpu = sched_getcpu();
  say("pinned count %d on-it %s\n", CPU_COUNT(&now), cpu == first ? "yes" : "no");
  sched_setaffinity(0, sizeof all, &all);
  say("policy %d fifo-range %d-%d\n", sched_getscheduler(0), sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
  struct timespec q;
  say("rr-interval %d\n", sched_rr_get_interval(0, &q));
  errno = 0;
  int before = getpriority(PRIO_PROCESS, 0);
  setpriority(PRIO_PROCESS, 0, before + 3);
  say("nice %d then %d\n", before, getpriority(PRIO_PROCESS, 0));
  for (int i = 0; i < 5; i++) sched_yield();
  say("EXIT-SUCCESS\n");
  return 0;
}
