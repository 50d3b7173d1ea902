/* Real-time signals queued while blocked: SIGRTMIN+0..+3, three of each sent with sigqueue (each with
 * its own value), then unblocked at once. Twice: first with handlers that block the others (one at a
 * time, each rt_sigreturn lets the next in: lowest number first, and for one number in the order sent),
 * then with handlers that do not (the kernel stacks every frame at once, so the handlers run nested).
 * The handler prints each signal's number, value and code. */
#include <signal.h>
#include <stdlib.h>
#include "say.h"

static int order[64];
static volatile int n;

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (n < 64) order[n] = (sig - SIGRTMIN) * 1000 + si->si_value.sival_int;
  n++;
  say("rt +%d value %d code %d\n", sig - SIGRTMIN, si->si_value.sival_int, si->si_code);
}

static void phase(const char *name, int one_at_a_time) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigset_t block;
  sigemptyset(&block);
  for (int s = 0; s < 4; s++) sigaddset(&block, SIGRTMIN + s);
  if (one_at_a_time) sa.sa_mask = block;
  for (int s = 0; s < 4; s++) sigaction(SIGRTMIN + s, &sa, NULL);
  sigprocmask(SIG_BLOCK, &block, NULL);
  int base = (getpid() % 100) * 10;
  for (int round = 0; round < 3; round++)
    for (int s = 3; s >= 0; s--) {
      union sigval v = { .sival_int = base + round };
      if (sigqueue(getpid(), SIGRTMIN + s, v) != 0) die("sigqueue");
    }
  say("%s queued 12 base %d\n", name, base);
  n = 0;
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  int ordered = n == 12;
  for (int i = 1; i < n && i < 64; i++) ordered &= order[i] > order[i - 1];
  say("%s delivered %d in-order %s\n", name, (int)n, ordered ? "yes" : "no");
}

int main(void) {
  phase("one-at-a-time", 1);
  phase("nested", 0);
  say("EXIT-SUCCESS\n");
  return 0;
}
