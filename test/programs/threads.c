/* threads.c: POSIX threads.
 *  1. Four threads, each with its own gettid() and thread-local (__thread) value; a mutex-protected
 *     shared sum; the main thread waits on a condition variable until all four have checked in; a
 *     pthread_barrier for the four; each returns a value that pthread_join collects.
 *  2. pthread_cond_timedwait with a 20 ms timeout that expires (ETIMEDOUT), and how long it took.
 *  3. Threads exiting while others run: one thread leaves early with pthread_exit while a second is
 *     still sleeping in a loop and a detached third runs; the main thread joins what it can.
 * Thread ids, addresses and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

#define NTHREADS 4

static void fail(const char *what, int err) {
  say("FAILED %s: %s\n", what, strerror(err));
  _exit(1);
}

static __thread long tls_value = -1;
static __thread char tls_name[16];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t checked_in_cond = PTHREAD_COND_INITIALIZER;
static int checked_in;
static long shared_sum;
static pid_t tids[NTHREADS];
static pthread_barrier_t barrier;

static void *worker(void *arg) {
  long idx = (long)(intptr_t)arg;
  tls_value = 100 + idx;
  snprintf(tls_name, sizeof tls_name, "worker-%ld", idx);
  pid_t tid = gettid();
  tids[idx] = tid;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < 1000; i++) shared_sum += idx + 1;
  checked_in++;
  pthread_cond_signal(&checked_in_cond);
  pthread_mutex_unlock(&lock);
  int b = pthread_barrier_wait(&barrier);
  /* after the barrier every thread still sees its own TLS value */
  say("%s tid %d tid-differs-from-pid %s tls %ld tls-addr %p barrier-serial %d\n", tls_name, (int)tid,
      tid != getpid() ? "yes" : "no", tls_value, (void *)&tls_value, b == PTHREAD_BARRIER_SERIAL_THREAD);
  return (void *)(intptr_t)(tls_value * 2);
}

static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static int sleeper_stop;

static void *early_exit(void *arg) {
  (void)arg;
  tls_value = 7;
  pthread_exit((void *)(intptr_t)(tls_value + 1));
}

static void *sleeper(void *arg) {
  (void)arg;
  int rounds = 0;
  for (;;) {
    pthread_mutex_lock(&slow_lock);
    int stop = sleeper_stop;
    pthread_mutex_unlock(&slow_lock);
    if (stop) break;
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    rounds++;
  }
  return (void *)(intptr_t)(rounds > 0 ? 1 : 0);
}

static volatile int detached_done;
static void *detached(void *arg) {
  (void)arg;
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
  __atomic_store_n(&detached_done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(void) {
  int rc;
  tls_value = 42;
  snprintf(tls_name, sizeof tls_name, "main");
  say("main pid %d tid-equals-pid %s tls-addr %p\n", (int)getpid(), gettid() == getpid() ? "yes" : "no", (void *)&tls_value);

  /* 1. four workers */
  if ((rc = pthread_barrier_init(&barrier, NULL, NTHREADS)) != 0) fail("barrier_init", rc);
  pthread_t th[NTHREADS];
  for (long i = 0; i < NTHREADS; i++)
    if ((rc = pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)) != 0) fail("pthread_create", rc);
  pthread_mutex_lock(&lock);
  while (checked_in < NTHREADS) pthread_cond_wait(&checked_in_cond, &lock);
  pthread_mutex_unlock(&lock);
  say("all-checked-in %d\n", checked_in);
  long total = 0;
  for (int i = 0; i < NTHREADS; i++) {
    void *ret;
    if ((rc = pthread_join(th[i], &ret)) != 0) fail("pthread_join", rc);
    say("joined worker-%d returned %ld\n", i, (long)(intptr_t)ret);
    total += (long)(intptr_t)ret;
  }
  int distinct = 1;
  for (int i = 0; i < NTHREADS; i++)
    for (int j = i + 1; j < NTHREADS; j++)
      if (tids[i] == tids[j]) distinct = 0;
  say("returns-total %ld shared-sum %ld tids-distinct %s main-tls-intact %s %s\n", total, shared_sum, distinct ? "yes" : "no",
      tls_value == 42 ? "yes" : "no", tls_name);
  pthread_barrier_destroy(&barrier);

  /* 2. a timed wait that times out */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_t never;
  pthread_cond_init(&never, &ca);
  /* The deadline is 20 ms after t0 itself, so a timeout means at least 20 ms passed since t0. */
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  long long due = t0 + 20000000;
  struct timespec deadline = { (time_t)(due / 1000000000LL), (long)(due % 1000000000LL) };
  pthread_mutex_lock(&lock);
  rc = pthread_cond_timedwait(&never, &lock, &deadline);
  pthread_mutex_unlock(&lock);
  long long waited = clock_ns(CLOCK_MONOTONIC) - t0;
  say("timedwait etimedout %s waited-at-least-20ms %s waited-ns %lld\n", rc == ETIMEDOUT ? "yes" : "no",
      waited >= 19000000 ? "yes" : "no", waited);
  pthread_cond_destroy(&never);

  /* 3. threads exiting while others run */
  pthread_t te, ts, td;
  if ((rc = pthread_create(&ts, NULL, sleeper, NULL)) != 0) fail("pthread_create", rc);
  if ((rc = pthread_create(&te, NULL, early_exit, NULL)) != 0) fail("pthread_create", rc);
  pthread_attr_t da;
  pthread_attr_init(&da);
  pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
  if ((rc = pthread_create(&td, &da, detached, NULL)) != 0) fail("pthread_create", rc);
  pthread_attr_destroy(&da);
  void *ret;
  if ((rc = pthread_join(te, &ret)) != 0) fail("pthread_join", rc);
  say("early-exit returned %ld\n", (long)(intptr_t)ret);
  while (!__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST)) {
    struct timespec d = {0, 1000000};
    nanosleep(&d, NULL);
  }
  struct timespec d = {0, 10000000};
  nanosleep(&d, NULL); /* the sleeper keeps going meanwhile */
  pthread_mutex_lock(&slow_lock);
  sleeper_stop = 1;
  pthread_mutex_unlock(&slow_lock);
  if ((rc = pthread_join(ts, &ret)) != 0) fail("pthread_join", rc);
  say("sleeper returned %ld detached-done %d\n", (long)(intptr_t)ret, detached_done);
  say("main time %lld\n", clock_ns(CLOCK_REALTIME));
  say("EXIT-SUCCESS\n");
  return 0;
}
