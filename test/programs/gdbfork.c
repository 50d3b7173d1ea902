/* gdbfork.c: a parent that forks a child, for debugging the child of a replay with gdb (-p). The
 * child calls child_work() three times with a seed read from the clock (so runs differ) and prints
 * each result; it also starts a thread, so the trace has a tid that is not a process. The parent
 * waits for it and prints what it returned. The comments in capitals mark lines the tests look for. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "say.h"

__attribute__((noinline)) long child_work(int round, long seed) {
  long v = seed * 7 + round; /* CHILD-WORK */
  return v;
}

static void *helper(void *arg) {
  (void)arg;
  say("helper tid %d\n", (int)gettid());
  return NULL;
}

int main(void) {
  pthread_t th;
  pthread_create(&th, NULL, helper, NULL);
  pthread_join(th, NULL);
  pid_t c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    long seed = clock_ns(CLOCK_REALTIME) % 1000;
    long sum = 0;
    for (int round = 0; round < 3; round++) {
      long v = child_work(round, seed);
      sum += v;
      say("child pid %d round %d seed %ld value %ld\n", (int)getpid(), round, seed, v);
    }
    _exit((int)(sum % 100));
  }
  int status = 0;
  if (waitpid(c, &status, 0) != c) die("waitpid");
  say("parent pid %d child %d exited %d\n", (int)getpid(), (int)c, WEXITSTATUS(status));
  return 0;
}
