/* spinflag.c: the main thread spins on an atomic flag, with no system call and no counter in the
 * loop, until a second thread sets it after some computation (a few milliseconds of arithmetic).
 * Under a one-task-at-a-time recorder the spinning thread must be preempted for the other to run.
 * The computed value is fixed; the thread id and times differ between native runs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static atomic_int flag;
static uint64_t result;
static pid_t setter_tid;

static void *setter(void *arg) {
  (void)arg;
  setter_tid = gettid();
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 2000000; i++) { /* about 2-5 ms */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  result = x;
  atomic_store(&flag, 1);
  return NULL;
}

int main(void) {
  say("main pid %d\n", (int)getpid());
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  pthread_t t;
  int rc = pthread_create(&t, NULL, setter, NULL);
  if (rc != 0) {
    say("FAILED pthread_create: %s\n", strerror(rc));
    return 1;
  }
  while (!atomic_load(&flag))
    ;
  long long spun = clock_ns(CLOCK_MONOTONIC) - t0;
  pthread_join(t, NULL);
  say("flag-seen result %llu setter-tid %d spun-ns %lld\n", (unsigned long long)result, (int)setter_tid, spun);
  say("main time %lld\n", clock_ns(CLOCK_REALTIME));
  say("EXIT-SUCCESS\n");
  return 0;
}
