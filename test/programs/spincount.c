/* spincount.c MODE: two threads and no system call in the loops, so a one-task-at-a-time recorder must
 * preempt the spinning main thread for the other to run, at a point identified by registers and memory.
 *   flag    main spins on an atomic flag that the worker sets after some work;
 *   count   main counts its spins in a global volatile (memory-only state) until the flag is set;
 *   shared  main and the worker both increment one global volatile counter (memory-only state), the
 *           worker a fixed number of times before it sets the flag, main until it sees the flag.
 * Every spin runs a fixed chain of multiplications (about 10 us) that restarts from the same value, so
 * the registers at any instruction of the loop are the same in every spin. What is printed depends on
 * timing (spin counts, the shared total), so native runs differ; a replay must print the recording's.
 * The worker waits (spinning) until main has started, so some thread is always preempted. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "say.h"

#define WORK()                                                                      \
  do {                                                                              \
    unsigned long x = 3;                                                            \
    __asm__ volatile(".rept 12000\n\timul %0, %0\n\t.endr" : "+r"(x));              \
  } while (0)

static atomic_int flag;
static atomic_int started;
static volatile long spins;
static volatile long shared;
static const char *mode;

static void *worker(void *arg) {
  (void)arg;
  /* Main spins first: run alone before it has started, the worker spins here, so whichever thread a
   * one-task-at-a-time recorder runs first, that thread has to be preempted. */
  while (!atomic_load(&started)) WORK();
  unsigned long long x = 88172645463325252ULL;
  for (int i = 0; i < 1000000; i++) { /* a millisecond or two */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (strcmp(mode, "shared") == 0 && i % 1000 == 0) shared++;
  }
  say("worker result %llu\n", x);
  atomic_store(&flag, 1);
  return NULL;
}

int main(int argc, char **argv) {
  mode = argc > 1 ? argv[1] : "flag";
  if (strcmp(mode, "flag") != 0 && strcmp(mode, "count") != 0 && strcmp(mode, "shared") != 0) {
    say("usage: spincount flag|count|shared\n");
    return 2;
  }
  pthread_t t;
  int rc = pthread_create(&t, NULL, worker, NULL);
  if (rc != 0) {
    say("FAILED pthread_create: %s\n", strerror(rc));
    return 1;
  }
  atomic_store(&started, 1);
  if (strcmp(mode, "flag") == 0) {
    while (!atomic_load(&flag)) WORK();
  } else if (strcmp(mode, "count") == 0) {
    while (!atomic_load(&flag)) { WORK(); spins++; }
  } else {
    while (!atomic_load(&flag)) { WORK(); shared++; }
  }
  pthread_join(t, NULL);
  say("mode %s spins %ld shared %ld\n", mode, spins, shared);
  say("EXIT-SUCCESS\n");
  return 0;
}
