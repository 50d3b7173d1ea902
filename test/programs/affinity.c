/* Threads that choose their CPUs and scheduling: each pins itself to one CPU with sched_setaffinity,
 * reads its mask back and asks which CPU it runs on (sched_getcpu and the getcpu syscall), changes its
 * policy (SCHED_BATCH, SCHED_IDLE, back to SCHED_OTHER) and nice value, and yields in between. The
 * main thread then widens its mask back to every CPU it started with. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include "say.h"

#define THREADS 3
static cpu_set_t start_set;
static int ncpus;
static long counter;

static int nth_cpu(int n) {
  for (int c = 0, seen = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &start_set) && seen++ == n) return c;
  return -1;
}

static void *worker(void *arg) {
  long i = (long)arg;
  int want = nth_cpu((int)(i % ncpus));
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(want, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  for (int k = 0; k < 20; k++) {
    sched_yield();
    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); /* threads on two CPUs: a plain ++ can lose one natively */
  }
  cpu_set_t got;
  if (sched_getaffinity(0, sizeof got, &got) != 0) die("sched_getaffinity");
  int cpu = sched_getcpu();
  unsigned scpu = 99, node = 99;
  if (syscall(SYS_getcpu, &scpu, &node, NULL) != 0) die("getcpu");
  struct sched_param p = { 0 };
  int policies[] = { SCHED_BATCH, SCHED_IDLE, SCHED_OTHER };
  int ok = 1;
  for (int k = 0; k < 3; k++) {
    if (sched_setscheduler(0, policies[k], &p) != 0) die("sched_setscheduler");
    for (int y = 0; y < 10; y++) sched_yield();
    if (sched_getscheduler(0) != policies[k]) ok = 0;
  }
  if (setpriority(PRIO_PROCESS, 0, 5 + (int)i) != 0) die("setpriority");
  sched_yield();
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  say("worker-%ld mask-count %d mask-is-wanted %s getcpu-is-wanted %s syscall-getcpu-is-wanted %s policies-ok %s nice %d\n", i,
      CPU_COUNT(&got), CPU_ISSET(want, &got) ? "yes" : "no", cpu == want ? "yes" : "no", (int)scpu == want ? "yes" : "no",
      ok ? "yes" : "no", nice);
  return NULL;
}

int main(void) {
  if (sched_getaffinity(0, sizeof start_set, &start_set) != 0) die("sched_getaffinity");
  ncpus = CPU_COUNT(&start_set);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) die("pthread_create");
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(nth_cpu(ncpus - 1), &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) die("sched_setaffinity main");
  int cpu = sched_getcpu();
  if (sched_setaffinity(0, sizeof start_set, &start_set) != 0) die("sched_setaffinity back");
  cpu_set_t now;
  sched_getaffinity(0, sizeof now, &now);
  say("main cpus %d pinned-to-last %s restored %s counter %ld\n", ncpus, cpu == nth_cpu(ncpus - 1) ? "yes" : "no",
      CPU_EQUAL(&now, &start_set) ? "yes" : "no", counter);
  say("main-pid %d\n", getpid());
  say("EXIT-SUCCESS\n");
  return 0;
}
