/* workers.c: busy workers for debugging a replay of several threads or processes. `workers threads N`
 * starts N pthreads, `workers procs N` forks N children; each worker makes ITER system calls
 * (times(2), the clock ticks since boot: its input, so runs differ) and reports a checksum through
 * report(), which prints "report W SUM". The parent then joins or waits for them and prints "total T".
 * Replay of it runs for a while, so a debugger keeps restore points along the way: times(2) is a call
 * rewind's syscall buffer leaves to the tracer, so each is a traced event with the buffer on too (a
 * buffered call, clock_gettime say, would leave no event between the reports and its replay take no
 * time). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "say.h"

#define ITER 15000

long last_sum;

__attribute__((noinline)) void report(int worker, long sum) {
  last_sum = sum; /* REPORT */
  say("report %d %ld\n", worker, sum);
}

static long work(int worker) {
  long sum = worker;
  for (int i = 0; i < ITER; i++) {
    struct tms t;
    long ticks = syscall(SYS_times, &t);
    sum = sum * 31 + (ticks + t.tms_utime) % 1000;
    sum %= 1000000007L;
    if (i % 5000 == 4999) report(worker, sum);
  }
  return sum;
}

static void *thread_main(void *arg) {
  return (void *)work((int)(long)arg);
}

int main(int argc, char **argv) {
  int procs = argc > 1 && strcmp(argv[1], "procs") == 0;
  int n = argc > 2 ? atoi(argv[2]) : 2;
  if (n < 1 || n > 8) n = 2;
  long total = 0;
  if (procs) {
    for (int i = 0; i < n; i++) {
      pid_t p = fork();
      if (p < 0) die("fork");
      if (p == 0) _exit((int)(work(i + 1) & 0x7f));
    }
    for (int i = 0; i < n; i++) {
      int st;
      if (wait(&st) < 0) die("wait");
      total += WEXITSTATUS(st);
    }
    total += work(0);
  } else {
    pthread_t th[8];
    for (int i = 0; i < n; i++) {
      if (pthread_create(&th[i], NULL, thread_main, (void *)(long)(i + 1)) != 0) die("pthread_create");
    }
    total += work(0);
    for (int i = 0; i < n; i++) {
      void *r;
      if (pthread_join(th[i], &r) != 0) die("pthread_join");
      total += (long)r;
    }
  }
  say("total %ld\n", total);
  return 0;
}
