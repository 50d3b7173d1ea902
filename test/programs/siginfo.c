/* What a SA_SIGINFO handler is told: sigqueue's value, kill from a forked child (si_pid, si_uid),
 * SIGCHLD for a child that exited (CLD_EXITED, status) and a POSIX timer's signal (SI_TIMER, value).
 * The handler prints every field it gets; replay must print the same. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "say.h"

static volatile sig_atomic_t got;

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  say("sig %d code %d pid %d uid %d status %d value %d errno %d\n", sig, si->si_code, (int)si->si_pid, (int)si->si_uid,
      sig == SIGCHLD ? si->si_status : 0, sig == SIGCHLD ? 0 : si->si_value.sival_int, si->si_errno);
  got++;
}

static void wait_for(int n) {
  sigset_t none;
  sigemptyset(&none);
  while (got < n) sigsuspend(&none);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGRTMIN, &sa, NULL);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &block, &old);
  say("self pid %d uid %d\n", getpid(), getuid());

  union sigval v = { .sival_int = 4242 + getpid() % 100 };
  if (sigqueue(getpid(), SIGUSR1, v) != 0) die("sigqueue");
  wait_for(1);

  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    kill(getppid(), SIGUSR2);
    _exit(7);
  }
  say("child pid %d\n", child);
  wait_for(3); /* SIGUSR2 from the child, SIGCHLD for its exit */
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  say("reaped exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));

  timer_t timer;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 99;
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) die("timer_create");
  struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
  if (timer_settime(timer, 0, &its, NULL) != 0) die("timer_settime");
  wait_for(4);
  say("EXIT-SUCCESS\n");
  return 0;
}
