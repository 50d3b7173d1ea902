/* signal.c: synchronous and asynchronous signals.
 *  1. SIGSEGV from a NULL dereference, caught with SA_SIGINFO, left with siglongjmp.
 *  2. raise(SIGUSR1): siginfo si_code and si_pid.
 *  3. alarm(1) + pause(): SIGALRM, and how long the wait took.
 *  4. An ITIMER_REAL signal while blocked in read(2) on a pipe, without and with SA_RESTART.
 * Timings and pids differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static sigjmp_buf segv_jump;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  say("SIGSEGV handler: si_signo %d si_code %d si_addr %p\n", sig == si->si_signo ? si->si_signo : -1, si->si_code,
      si->si_addr);
  siglongjmp(segv_jump, 1);
}

static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  say("SIGUSR1 handler: si_signo %d si_code %d si_pid %d from-self %s\n", sig, si->si_code, (int)si->si_pid,
      si->si_pid == getpid() ? "yes" : "no");
}

static volatile sig_atomic_t alarm_count;
static long long alarm_at;
static void on_alarm(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  alarm_count++;
  alarm_at = clock_ns(CLOCK_MONOTONIC);
  say("SIGALRM handler: si_signo %d si_code %d\n", sig, si->si_code);
}

static int pipe_w = -1;
static void on_itimer(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  say("itimer handler: si_signo %d si_code %d\n", sig, si->si_code);
  /* Make the interrupted read able to complete if it is restarted. */
  if (write(pipe_w, "z", 1) != 1) _exit(4);
}

static void read_with_itimer(int restart) {
  int p[2];
  if (pipe(p) != 0) _exit(5);
  pipe_w = p[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_itimer;
  sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it;
  memset(&it, 0, sizeof it);
  it.it_value.tv_usec = 30000; /* 30 ms, one shot */
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  setitimer(ITIMER_REAL, &it, NULL);
  char c = 0;
  ssize_t r = read(p[0], &c, 1);
  int err = errno;
  long long waited = clock_ns(CLOCK_MONOTONIC) - t0;
  if (r < 0)
    say("read %s: result %zd errno %s waited-ns %lld\n", restart ? "SA_RESTART" : "no-restart", r,
        err == EINTR ? "EINTR" : strerror(err), waited);
  else
    say("read %s: result %zd byte %c waited-ns %lld\n", restart ? "SA_RESTART" : "no-restart", r, c, waited);
  if (r < 0) {
    r = read(p[0], &c, 1); /* the byte the handler wrote */
    say("read again: result %zd byte %c\n", r, c);
  }
  close(p[0]);
  close(p[1]);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  sa.sa_sigaction = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  say("pid %d\n", (int)getpid());

  if (sigsetjmp(segv_jump, 1) == 0) {
    int *volatile nullp = NULL;
    *nullp = 7;
    say("NULL store did not fault\n");
  } else {
    say("back from SIGSEGV via siglongjmp\n");
  }
  if (sigsetjmp(segv_jump, 1) == 0) {
    volatile char *bad = (volatile char *)(uintptr_t)0x5000;
    say("read %d\n", *bad);
  } else {
    say("back from second SIGSEGV\n");
  }

  sa.sa_sigaction = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  say("after raise\n");

  sa.sa_sigaction = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  alarm(1);
  while (alarm_count == 0) pause();
  long long waited = alarm_at - t0;
  say("alarm waited-ns %lld about-one-second %s\n", waited,
      waited > 500000000LL && waited < 5000000000LL ? "yes" : "no");

  read_with_itimer(0);
  read_with_itimer(1);
  say("EXIT-SUCCESS\n");
  return 0;
}
