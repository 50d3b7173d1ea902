/* insulated.c [ROUNDS]: a parent and a forked child that each compute, write and signal themselves
 * (SIGUSR1, SIGWINCH, SIGCONT handled) for a while, so a replay runs long enough for other processes
 * to send it stray signals. Prints how many times each handler ran and a checksum of the work. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "say.h"

static volatile sig_atomic_t usr1, winch, cont;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_winch(int s) { (void)s; winch++; }
static void on_cont(int s) { (void)s; cont++; }

static unsigned work(const char *who, int rounds) {
  unsigned x = 1;
  for (int i = 0; i < rounds; i++) {
    for (volatile int j = 0; j < 20000; j++) x = x * 1103515245u + 12345u + (unsigned)j;
    if (i % 50 == 0) say("%s round %d %08x\n", who, i, x);
    if (i % 97 == 0) raise(SIGUSR1);
    if (i % 211 == 0) raise(SIGWINCH);
    getppid();
  }
  return x;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  struct sigaction sa = { 0 };
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  sa.sa_handler = on_cont;
  sigaction(SIGCONT, &sa, NULL);
  pid_t child = fork();
  if (child < 0) return 2;
  const char *who = child == 0 ? "child" : "parent";
  unsigned x = work(who, rounds);
  say("%s done %08x usr1 %d winch %d cont %d\n", who, x, (int)usr1, (int)winch, (int)cont);
  if (child == 0) return 7;
  int st = 0;
  if (waitpid(child, &st, 0) != child) return 3;
  say("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  say("EXIT-SUCCESS\n");
  return 0;
}
