/* threadfork.c: fork from a second thread while the main thread keeps running.
 * The forking thread's child (a copy of that one thread) prints its pid and exits with status 6; the
 * forking thread reaps it with waitpid. Meanwhile the main thread sleeps in short steps. A second
 * round forks from the main thread while a worker thread is running.
 * Pids, tids and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static volatile int thread_done;
static pid_t main_pid;

static void *forker(void *arg) {
  (void)arg;
  pid_t tid = gettid();
  say("forker tid %d\n", (int)tid);
  pid_t c = fork();
  if (c < 0) {
    say("FAILED fork: %s\n", strerror(errno));
    _exit(1);
  }
  if (c == 0) {
    say("child-of-thread pid %d ppid-is-main %s single-thread %s time %lld\n", (int)getpid(), getppid() == main_pid ? "yes" : "no",
        gettid() == getpid() ? "yes" : "no", clock_ns(CLOCK_REALTIME));
    _exit(6);
  }
  int status = -1;
  pid_t w = waitpid(c, &status, 0);
  say("forker reaped %s exited %d code %d\n", w == c ? "yes" : "no", WIFEXITED(status), WEXITSTATUS(status));
  __atomic_store_n(&thread_done, 1, __ATOMIC_SEQ_CST);
  return (void *)(intptr_t)c;
}

static volatile int worker_stop;
static long worker_rounds;
static void *worker(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&worker_stop, __ATOMIC_SEQ_CST)) {
    struct timespec ts = {0, 500000};
    nanosleep(&ts, NULL);
    __atomic_add_fetch(&worker_rounds, 1, __ATOMIC_SEQ_CST);
  }
  return (void *)(intptr_t)(__atomic_load_n(&worker_rounds, __ATOMIC_SEQ_CST) > 0);
}

int main(void) {
  main_pid = getpid();
  say("main pid %d\n", (int)main_pid);
  pthread_t t;
  int rc = pthread_create(&t, NULL, forker, NULL);
  if (rc != 0) {
    say("FAILED pthread_create: %s\n", strerror(rc));
    return 1;
  }
  int naps = 0;
  while (!__atomic_load_n(&thread_done, __ATOMIC_SEQ_CST)) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    naps++;
  }
  void *ret;
  pthread_join(t, &ret);
  say("joined forker child-pid %d naps-positive %s\n", (int)(intptr_t)ret, naps > 0 ? "yes" : "no");

  /* fork from the main thread while a worker runs */
  rc = pthread_create(&t, NULL, worker, NULL);
  if (rc != 0) {
    say("FAILED pthread_create: %s\n", strerror(rc));
    return 1;
  }
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
  pid_t c = fork();
  if (c == 0) {
    say("child-of-main pid %d time %lld\n", (int)getpid(), clock_ns(CLOCK_REALTIME));
    _exit(8);
  }
  int status = -1;
  pid_t w = waitpid(c, &status, 0);
  say("main reaped %s exited %d code %d\n", w == c ? "yes" : "no", WIFEXITED(status), WEXITSTATUS(status));
  /* on a busy machine the worker may not have run yet: it ends after one round at least */
  while (__atomic_load_n(&worker_rounds, __ATOMIC_SEQ_CST) == 0) {
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);
  }
  __atomic_store_n(&worker_stop, 1, __ATOMIC_SEQ_CST);
  pthread_join(t, &ret);
  say("worker returned %ld\n", (long)(intptr_t)ret);
  say("EXIT-SUCCESS\n");
  return 0;
}
