/* killgroup.c [SIGNAL]: prints a line, then signals its own process group (kill(0, SIG), SIGTERM by
 * default) and dies of it, as a shell's `trap 'kill 0' EXIT` does. */
#include <signal.h>
#include <stdlib.h>
#include "say.h"

int main(int argc, char **argv) {
  int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
  say("about to kill my group with signal %d\n", sig);
  kill(0, sig);
  say("still here\n");
  return 0;
}
