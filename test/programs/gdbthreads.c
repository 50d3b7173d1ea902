/* gdbthreads.c: three threads for debugging with gdb. The workers take turns (a mutex and a condition
 * variable): worker 0 round 0, worker 1 round 0, worker 2 round 0, worker 0 round 1, … Each round
 * calls work() with the worker's index, the round and the worker's seed, read from the clock (so
 * runs differ), and prints the result. The main thread joins them and prints the total. The
 * comments in capitals mark lines the tests look for. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include "say.h"

#define NWORKERS 3
#define ROUNDS 3

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;
static long totals[NWORKERS];

__attribute__((noinline)) long work(int idx, int round, long seed) {
  long v = seed * (idx + 2) + round * 10 + idx; /* WORK */
  return v;                                     /* WORK-RETURN */
}

static void *worker(void *arg) {
  int idx = (int)(intptr_t)arg;
  long seed = clock_ns(CLOCK_REALTIME) % 1000 + 1000 * (idx + 1);
  for (int round = 0; round < ROUNDS; round++) {
    pthread_mutex_lock(&lock);
    while (turn != round * NWORKERS + idx) pthread_cond_wait(&turn_changed, &lock);
    long v = work(idx, round, seed);
    totals[idx] += v;
    say("worker %d tid %d round %d seed %ld value %ld\n", idx, (int)gettid(), round, seed, v);
    turn++;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

int main(void) {
  pthread_t th[NWORKERS];
  for (long i = 0; i < NWORKERS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
  long sum = 0;
  for (int i = 0; i < NWORKERS; i++) {
    pthread_join(th[i], NULL);
    sum += totals[i];
  }
  say("main tid %d total %ld\n", (int)gettid(), sum);
  return 0;
}
