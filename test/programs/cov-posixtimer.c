/* cov-posixtimer.c: POSIX timers: a periodic CLOCK_MONOTONIC timer delivering SIGRTMIN with a value,
 * timer_gettime while armed, timer_getoverrun, a one-shot thread-CPU-time timer while computing, and
 * clock_nanosleep to an absolute time. */
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static volatile sig_atomic_t ticks, value, cpu;
static void on(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (sig == SIGRTMIN) {
    ticks++;
    value = si->si_value.sival_int;
  } else {
    cpu++;
  }
}
static volatile unsigned long sink;

int main(void) {
  struct sigaction sa = {.sa_sigaction = on, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigaction(SIGRTMIN, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN, .sigev_value.sival_int = 77};
  timer_t t;
  if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) die("timer_create");
  struct itimerspec its = {{0, 2000000}, {0, 2000000}};
  timer_settime(t, 0, &its, NULL);
  while (ticks < 4) pause();
  struct itimerspec cur;
  timer_gettime(t, &cur);
  say("ticks-at-least-4 %s value %d interval %ld overrun-nonneg %s\n", ticks >= 4 ? "yes" : "no", value, cur.it_interval.tv_nsec,
      timer_getoverrun(t) >= 0 ? "yes" : "no");
  timer_delete(t);
  struct sigevent ce = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
  timer_t ct;
  timer_create(CLOCK_THREAD_CPUTIME_ID, &ce, &ct);
  struct itimerspec once = {{0, 0}, {0, 3000000}};
  timer_settime(ct, 0, &once, NULL);
  unsigned long spins = 0; /* in a register: each pass differs, so replay finds where the signal landed */
  while (!cpu) spins++;
  sink = spins;
  say("cpu-timer fired %d\n", cpu);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 3000000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  say("clock_nanosleep %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL));
  say("EXIT-SUCCESS\n");
  return 0;
}
