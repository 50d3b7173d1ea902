/* cov-itimer.c: interval timers and alarm: ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF firing while the
 * program waits or computes, getitimer, alarm's remaining seconds; prints the counts it saw. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "say.h"

static volatile sig_atomic_t real, virt, prof, alrm;
static void on(int sig) {
  if (sig == SIGALRM) real++;
  if (sig == SIGVTALRM) virt++;
  if (sig == SIGPROF) prof++;
}
static void on_alarm(int sig) {
  (void)sig;
  alrm++;
}
static volatile unsigned long sink;

int main(void) {
  signal(SIGALRM, on);
  signal(SIGVTALRM, on);
  signal(SIGPROF, on);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) die("setitimer real");
  while (real < 5) pause();
  it.it_value.tv_usec = it.it_interval.tv_usec = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  struct itimerval v = {{0, 2000}, {0, 2000}};
  if (setitimer(ITIMER_VIRTUAL, &v, NULL) != 0 || setitimer(ITIMER_PROF, &v, NULL) != 0) die("setitimer cpu");
  unsigned long spins = 0; /* in a register: each pass differs, so replay finds where a signal landed */
  while (virt < 3 || prof < 3) spins++;
  sink = spins;
  struct itimerval g;
  getitimer(ITIMER_VIRTUAL, &g);
  say("real-at-least-5 %s virtual-at-least-3 %s prof-at-least-3 %s interval %ld\n", real >= 5 ? "yes" : "no",
      virt >= 3 ? "yes" : "no", prof >= 3 ? "yes" : "no", (long)g.it_interval.tv_usec);
  v.it_value.tv_usec = v.it_interval.tv_usec = 0;
  setitimer(ITIMER_VIRTUAL, &v, NULL);
  setitimer(ITIMER_PROF, &v, NULL);
  signal(SIGALRM, on_alarm);
  alarm(100);
  unsigned left = alarm(1);
  say("alarm-left-was %u\n", left);
  while (!alrm) pause();
  say("alarm fired %d counts real %d virt %d prof %d\n", alrm, real, virt, prof);
  say("EXIT-SUCCESS\n");
  return 0;
}
