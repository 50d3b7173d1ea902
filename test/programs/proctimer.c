/* Process-directed timer signals in a multithreaded process whose main thread blocks them: the kernel
 * picks a thread that does not. An ITIMER_REAL (SIGALRM) and a POSIX timer (timer_create, SIGEV_SIGNAL,
 * SIGUSR1) fire every 2 ms while one worker computes (with a getppid per pass) and another sleeps in nanosleep; main
 * waits in pthread_join. Each handler counts its signal and checks it never runs on main. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include "say.h"

#define WANT 15
static volatile sig_atomic_t alarms, usr1s, on_main;
static pid_t main_tid;
static volatile int stop;

static void handler(int sig) {
  if ((pid_t)syscall(SYS_gettid) == main_tid) on_main = 1;
  if (sig == SIGALRM) alarms++;
  else usr1s++;
}

/* Busy, but with a system call in every pass (a loop with none is found again at replay only one trap
 * per pass: see README, Limits). */
static void *spinner(void *arg) {
  (void)arg;
  unsigned long n = 0;
  while (!stop) {
    for (volatile int k = 0; k < 1000; k++) {}
    getppid();
    n++;
  }
  return (void *)n;
}

static void *sleeper(void *arg) {
  (void)arg;
  long naps = 0;
  while (!stop) {
    struct timespec ts = { 0, 500000 };
    nanosleep(&ts, NULL);
    naps++;
  }
  return (void *)naps;
}

static void *watcher(void *arg) {
  (void)arg;
  while (alarms < WANT || usr1s < WANT) {
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  stop = 1;
  return NULL;
}

int main(void) {
  main_tid = (pid_t)syscall(SYS_gettid);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigaddset(&block, SIGUSR1);
  pthread_t t[3];
  if (pthread_create(&t[0], NULL, spinner, NULL) != 0) die("pthread_create");
  if (pthread_create(&t[1], NULL, sleeper, NULL) != 0) die("pthread_create");
  if (pthread_create(&t[2], NULL, watcher, NULL) != 0) die("pthread_create");
  pthread_sigmask(SIG_BLOCK, &block, NULL); /* after creating them: the threads keep them unblocked */
  timer_t timer;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) die("timer_create");
  struct itimerspec its = { { 0, 2000000 }, { 0, 2000000 } };
  if (timer_settime(timer, 0, &its, NULL) != 0) die("timer_settime");
  struct itimerval itv = { { 0, 2000 }, { 0, 2000 } };
  if (setitimer(ITIMER_REAL, &itv, NULL) != 0) die("setitimer");
  void *spins, *naps;
  pthread_join(t[2], NULL);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  timer_settime(timer, 0, &off, NULL);
  pthread_join(t[0], &spins);
  pthread_join(t[1], &naps);
  say("alarms-enough %s usr1-enough %s never-on-main %s\n", alarms >= WANT ? "yes" : "no", usr1s >= WANT ? "yes" : "no",
      on_main ? "no" : "yes");
  say("counts alarms %d usr1 %d spins %lu naps %ld\n", (int)alarms, (int)usr1s, (unsigned long)spins, (long)naps);
  say("EXIT-SUCCESS\n");
  return 0;
}
