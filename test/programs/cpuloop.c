/* cpuloop.c: signals landing in CPU-bound loops that make no system call, after millions of passes.
 * Each phase counts in a register until a handler sets a flag: ITIMER_REAL, ITIMER_VIRTUAL and
 * ITIMER_PROF one-shots (about 30 ms of CPU each), then a periodic ITIMER_REAL (every 10 ms, three
 * ticks). A pass costs a few nanoseconds, so each signal lands after some 10^6-10^7 passes; the counts
 * depend on timing (two native runs differ). Prints each count and how many passes it was. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "say.h"

static volatile sig_atomic_t ticks;

static void on_signal(int sig) { (void)sig; ticks++; }

static long spin_until(int wanted) {
  long n = 0;
  while (ticks < wanted) {
    n++;
    __asm__ volatile("" : "+r"(n)); /* keep the count in a register, the loop not folded away */
  }
  return n;
}

static void timer(int which, int sig, long first_us, long every_us) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  if (sigaction(sig, &sa, 0) != 0) die("sigaction");
  struct itimerval it = { { 0, every_us }, { 0, first_us } };
  if (setitimer(which, &it, 0) != 0) die("setitimer");
}

int main(void) {
  static const struct { int which, sig; const char *name; } one_shots[] = {
    { ITIMER_REAL, SIGALRM, "real" }, { ITIMER_VIRTUAL, SIGVTALRM, "virtual" }, { ITIMER_PROF, SIGPROF, "prof" },
  };
  long least = -1;
  for (int i = 0; i < 3; i++) {
    ticks = 0;
    timer(one_shots[i].which, one_shots[i].sig, 30000, 0);
    long n = spin_until(1);
    say("%s-count %ld\n", one_shots[i].name, n);
    if (least < 0 || n < least) least = n;
  }
  ticks = 0;
  timer(ITIMER_REAL, SIGALRM, 10000, 10000);
  long total = 0;
  for (int t = 1; t <= 3; t++) {
    long n = spin_until(t);
    total += n;
    say("periodic-%d-count %ld\n", t, n);
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, 0);
  say("fewest-passes-over-a-million %s\n", least > 1000000 ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
