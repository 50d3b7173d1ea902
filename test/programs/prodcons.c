/* Two producers and two consumers share a bounded queue guarded by one mutex and two condition
 * variables (not-full, not-empty). 10,000 items pass through; each consumer sums what it takes.
 * The split between the consumers and the queue's high-water mark vary from run to run. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include "say.h"

#define ITEMS 10000
#define CAP 8
#define PRODUCERS 2
#define CONSUMERS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[CAP];
static int head, count, produced, consumed, done_producers;

static void *producer(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    if (produced == ITEMS) break;
    while (count == CAP) pthread_cond_wait(&not_full, &lock);
    if (produced == ITEMS) break;
    queue[(head + count) % CAP] = ++produced;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
  }
  done_producers++;
  pthread_cond_broadcast(&not_empty);
  pthread_cond_broadcast(&not_full);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *consumer(void *arg) {
  long long *sum = arg;
  int taken = 0;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (count == 0 && consumed < ITEMS) pthread_cond_wait(&not_empty, &lock);
    if (count == 0) {
      pthread_mutex_unlock(&lock);
      break;
    }
    *sum += queue[head];
    head = (head + 1) % CAP;
    count--;
    consumed++;
    taken++;
    if (consumed == ITEMS) pthread_cond_broadcast(&not_empty);
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
  }
  return (void *)(long)taken;
}

/* Phase two: two threads spin on sched_yield until a third, asleep on a condition variable, is woken
 * by main and raises the flag. The woken thread must get the CPU between the yields. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int gate_open, waiter_ready;
static volatile int go;

static void *spinner(void *arg) {
  (void)arg;
  long yields = 0;
  while (!go) {
    sched_yield();
    yields++;
  }
  return (void *)yields;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&gate_lock);
  waiter_ready = 1;
  while (!gate_open) pthread_cond_wait(&gate, &gate_lock);
  pthread_mutex_unlock(&gate_lock);
  go = 1;
  return NULL;
}

static void yield_phase(void) {
  pthread_t w, s[2];
  if (pthread_create(&w, NULL, waiter, NULL) != 0) die("pthread_create");
  for (;;) {
    pthread_mutex_lock(&gate_lock);
    int ready = waiter_ready;
    pthread_mutex_unlock(&gate_lock);
    if (ready) break;
    usleep(100);
  }
  for (int i = 0; i < 2; i++)
    if (pthread_create(&s[i], NULL, spinner, NULL) != 0) die("pthread_create");
  pthread_mutex_lock(&gate_lock);
  gate_open = 1;
  pthread_cond_signal(&gate);
  pthread_mutex_unlock(&gate_lock);
  long yields = 0;
  for (int i = 0; i < 2; i++) {
    void *r;
    pthread_join(s[i], &r);
    yields += (long)r;
  }
  pthread_join(w, NULL);
  say("yield-phase done yields %ld\n", yields);
}

int main(void) {
  pthread_t p[PRODUCERS], c[CONSUMERS];
  long long sums[CONSUMERS] = {0};
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < CONSUMERS; i++)
    if (pthread_create(&c[i], NULL, consumer, &sums[i]) != 0) die("pthread_create");
  for (int i = 0; i < PRODUCERS; i++)
    if (pthread_create(&p[i], NULL, producer, NULL) != 0) die("pthread_create");
  for (int i = 0; i < PRODUCERS; i++) pthread_join(p[i], NULL);
  long long total = 0;
  int takenAll = 0;
  for (int i = 0; i < CONSUMERS; i++) {
    void *r;
    pthread_join(c[i], &r);
    say("consumer-%d took %ld\n", i, (long)r);
    takenAll += (int)(long)r;
    total += sums[i];
  }
  long long ms = (clock_ns(CLOCK_MONOTONIC) - t0) / 1000000;
  say("items %d sum %lld expected %lld producers-done %d\n", takenAll, total, (long long)ITEMS * (ITEMS + 1) / 2, done_producers);
  say("elapsed-ms %lld\n", ms);
  yield_phase();
  say("EXIT-SUCCESS\n");
  return 0;
}
