/* racy.c: four threads increment a shared counter without a lock (a data race on purpose: a plain
 * load, add and store through a volatile), 20000 times each; the final value is whatever the
 * interleaving gave. Also prints each thread's id and the time. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

#define NTHREADS 4
#define ROUNDS 20000

static volatile long counter;
static pid_t tids[NTHREADS];

static void *bump(void *arg) {
  long idx = (long)(intptr_t)arg;
  tids[idx] = gettid();
  for (int i = 0; i < ROUNDS; i++) counter = counter + 1;
  return NULL;
}

int main(void) {
  pthread_t th[NTHREADS];
  for (long i = 0; i < NTHREADS; i++) {
    int rc = pthread_create(&th[i], NULL, bump, (void *)(intptr_t)i);
    if (rc != 0) {
      say("FAILED pthread_create: %s\n", strerror(rc));
      return 1;
    }
  }
  for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < NTHREADS; i++) say("thread %d tid %d\n", i, (int)tids[i]);
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  say("counter %ld of %d in-range %s\n", counter, NTHREADS * ROUNDS, counter >= ROUNDS && counter <= NTHREADS * ROUNDS ? "yes" : "no");
  say("time %lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
  say("EXIT-SUCCESS\n");
  return 0;
}
