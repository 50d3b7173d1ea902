/* cov-timerfd.c: timerfd: a periodic relative timer read for its expirations, timerfd_gettime while
 * armed, an absolute CLOCK_MONOTONIC timer, and a disarmed one that poll times out on. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (t < 0) die("timerfd_create");
  struct itimerspec its = {{0, 3000000}, {0, 3000000}};
  if (timerfd_settime(t, 0, &its, NULL) != 0) die("settime");
  uint64_t total = 0, x;
  int reads = 0;
  while (total < 5) {
    if (read(t, &x, 8) != 8) die("read");
    total += x;
    reads++;
  }
  struct itimerspec cur;
  timerfd_gettime(t, &cur);
  say("expirations-at-least-5 %s interval-ns %ld armed %s\n", total >= 5 ? "yes" : "no", cur.it_interval.tv_nsec,
      cur.it_value.tv_sec || cur.it_value.tv_nsec ? "yes" : "no");
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct itimerspec abs = {{0, 0}, now};
  abs.it_value.tv_nsec += 2000000;
  if (abs.it_value.tv_nsec >= 1000000000) abs.it_value.tv_sec++, abs.it_value.tv_nsec -= 1000000000;
  timerfd_settime(t, TFD_TIMER_ABSTIME, &abs, NULL);
  read(t, &x, 8);
  say("absolute fired %llu\n", (unsigned long long)x);
  struct itimerspec off = {{0, 0}, {0, 0}};
  timerfd_settime(t, 0, &off, NULL);
  struct pollfd p = {t, POLLIN, 0};
  say("disarmed poll %d\n", poll(&p, 1, 20));
  say("EXIT-SUCCESS\n");
  return 0;
}
