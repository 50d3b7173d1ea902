/* alarmcount.c MODE: counts passes through a loop that makes no system call until SIGALRM (an
 * ITIMER_REAL timer of 5 ms) stops it, then prints the count. Where the count lives is MODE:
 *   global  a global volatile (the loop's state is only in the executable's .bss),
 *   stack   a local volatile (only on the stack; built with -O0),
 *   reg     a local non-volatile (in a register; built with -O2).
 * Every pass runs a fixed chain of multiplications (about 2 us) that restarts from the same value,
 * so at any instruction of the loop the registers are the same in every pass unless the count is in
 * one: a recorder that identifies the signal's point by registers alone cannot tell the passes apart.
 * The count depends on timing: two native runs print different counts. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "say.h"

#define WORK()                                                                      \
  do {                                                                              \
    unsigned long x = 3;                                                            \
    __asm__ volatile(".rept 3000\n\timul %0, %0\n\t.endr" : "+r"(x));                \
  } while (0)

static volatile sig_atomic_t stop;
static volatile long global_count;

static void on_alarm(int sig) { (void)sig; stop = 1; }

static void arm(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  if (sigaction(SIGALRM, &sa, 0) != 0) die("sigaction");
  struct itimerval it = { { 0, 0 }, { 0, 5000 } };
  if (setitimer(ITIMER_REAL, &it, 0) != 0) die("setitimer");
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "global";
  long count;
  if (strcmp(mode, "global") == 0) {
    arm();
    while (!stop) { WORK(); global_count++; }
    count = global_count;
  } else if (strcmp(mode, "stack") == 0) {
    volatile long n = 0;
    arm();
    while (!stop) { WORK(); n++; }
    count = n;
  } else if (strcmp(mode, "reg") == 0) {
    long n = 0;
    arm();
    while (!stop) { WORK(); n++; }
    count = n;
  } else {
    say("usage: alarmcount global|stack|reg\n");
    return 2;
  }
  say("mode %s count %ld\n", mode, count);
  say("EXIT-SUCCESS\n");
  return 0;
}
