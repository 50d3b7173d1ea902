/* cov-sigaltstack.c: a handler run on an alternate signal stack (SA_ONSTACK): its local lies inside the
 * stack given to sigaltstack, which reports SS_ONSTACK from inside; a stack overflow caught there. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "say.h"

static char *alt;
static size_t altsize = 1 << 16;
static volatile int on_alt, flags_inside;
static sigjmp_buf back;

static void handler(int sig) {
  char local;
  on_alt = &local >= alt && &local < alt + altsize;
  stack_t now;
  sigaltstack(NULL, &now);
  flags_inside = now.ss_flags;
  if (sig == SIGSEGV) siglongjmp(back, 1);
}

static volatile long depth_limit = 1L << 40;
static int deep(long n) {
  volatile char pad[4096];
  pad[0] = (char)n;
  return n < depth_limit ? deep(n + 1) + pad[0] : 0;
}

int main(void) {
  alt = malloc(altsize);
  stack_t ss = {.ss_sp = alt, .ss_size = altsize, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  raise(SIGUSR1);
  say("usr1 on-alt %s onstack-flag %s\n", on_alt ? "yes" : "no", flags_inside & SS_ONSTACK ? "yes" : "no");
  if (sigsetjmp(back, 1) == 0) deep(0);
  say("overflow caught on-alt %s\n", on_alt ? "yes" : "no");
  stack_t after;
  sigaltstack(NULL, &after);
  say("after flags %d size-kept %s\n", after.ss_flags, after.ss_size == altsize ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
