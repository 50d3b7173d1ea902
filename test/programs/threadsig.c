/* threadsig.c: signals and threads.
 *  1. pthread_kill(SIGUSR1) from the main thread to a worker blocked in read(2); the handler (run by
 *     the worker) writes the id of the thread it runs on, which must be the worker's.
 *  2. A process-directed signal, kill(getpid(), SIGUSR2), while the main thread blocks SIGUSR2 and
 *     two workers (which unblock it) sleep in short nanosleep steps: exactly one of them takes it (which one is up to
 *     the kernel); its handler prints its thread id.
 *  3. SIGCHLD from a child that exits with status 9, caught by an SA_SIGINFO handler that prints
 *     si_pid and si_status; the parent then reaps the child.
 * Thread ids, pids and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static void die_err(const char *what, int err) {
  say("FAILED %s: %s\n", what, strerror(err));
  _exit(1);
}

/* --- 1. pthread_kill --- */
static volatile pid_t usr1_tid;
static void on_usr1(int sig) {
  usr1_tid = gettid();
  say("SIGUSR1 handler sig %d on tid %d\n", sig, (int)usr1_tid);
}

static int wake_pipe[2];
static volatile pid_t reader_tid;
static void *reader(void *arg) {
  (void)arg;
  reader_tid = gettid();
  char c;
  ssize_t n;
  int eintr = 0;
  for (;;) {
    n = read(wake_pipe[0], &c, 1);
    if (n < 0 && errno == EINTR) {
      eintr++;
      continue;
    }
    break;
  }
  say("reader tid %d read %zd interrupted %d\n", (int)reader_tid, n, eintr);
  return NULL;
}

/* --- 2. process-directed --- */
static volatile int usr2_count;
static volatile pid_t usr2_tid;
static void on_usr2(int sig) {
  __atomic_add_fetch(&usr2_count, 1, __ATOMIC_SEQ_CST);
  usr2_tid = gettid();
  say("SIGUSR2 handler sig %d on tid %d\n", sig, (int)usr2_tid);
}

static volatile int waiters_ready;
static volatile int waiters_stop;
static pid_t waiter_tids[2];
static void *waiter(void *arg) {
  long idx = (long)(intptr_t)arg;
  waiter_tids[idx] = gettid();
  sigset_t set; /* the main thread blocked SIGUSR2 before creating us: take it back */
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  __atomic_add_fetch(&waiters_ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&waiters_stop, __ATOMIC_SEQ_CST)) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* --- 3. SIGCHLD --- */
static volatile pid_t chld_pid;
static volatile int chld_status = -1;
static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  chld_pid = si->si_pid;
  chld_status = si->si_status;
  say("SIGCHLD handler sig %d si_pid %d si_status %d code-exited %s\n", sig, (int)si->si_pid, si->si_status,
      si->si_code == CLD_EXITED ? "yes" : "no");
}

int main(void) {
  say("main pid %d\n", (int)getpid());
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);

  /* 1 */
  if (pipe(wake_pipe) != 0) die_err("pipe", errno);
  pthread_t rt;
  int rc = pthread_create(&rt, NULL, reader, NULL);
  if (rc != 0) die_err("pthread_create", rc);
  while (reader_tid == 0) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  struct timespec settle = {0, 5000000};
  nanosleep(&settle, NULL);
  if ((rc = pthread_kill(rt, SIGUSR1)) != 0) die_err("pthread_kill", rc);
  while (usr1_tid == 0) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (write(wake_pipe[1], "x", 1) != 1) die_err("write", errno);
  pthread_join(rt, NULL);
  say("usr1 ran-on-target %s not-main %s\n", usr1_tid == reader_tid ? "yes" : "no", usr1_tid != getpid() ? "yes" : "no");

  /* 2: the main thread blocks SIGUSR2 (the workers inherit the mask, then unblock it) */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_t wt[2];
  for (long i = 0; i < 2; i++) {
    if ((rc = pthread_create(&wt[i], NULL, waiter, (void *)(intptr_t)i)) != 0) die_err("pthread_create", rc);
  }
  while (__atomic_load_n(&waiters_ready, __ATOMIC_SEQ_CST) < 2) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  kill(getpid(), SIGUSR2);
  while (__atomic_load_n(&usr2_count, __ATOMIC_SEQ_CST) == 0) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  __atomic_store_n(&waiters_stop, 1, __ATOMIC_SEQ_CST);
  for (int i = 0; i < 2; i++) pthread_join(wt[i], NULL);
  say("usr2 count %d taken-by-a-waiter %s\n", usr2_count, usr2_tid == waiter_tids[0] || usr2_tid == waiter_tids[1] ? "yes" : "no");

  /* 3 */
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  pid_t c = fork();
  if (c < 0) die_err("fork", errno);
  if (c == 0) _exit(9);
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGCHLD);
  while (chld_pid == 0) sigsuspend(&wait_mask);
  sigprocmask(SIG_SETMASK, &old, NULL);
  int status = -1;
  pid_t w = waitpid(c, &status, 0);
  say("sigchld from-child %s status %d reaped %s code %d\n", chld_pid == c ? "yes" : "no", chld_status, w == c ? "yes" : "no",
      WEXITSTATUS(status));
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  say("time %lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
  say("EXIT-SUCCESS\n");
  return 0;
}
