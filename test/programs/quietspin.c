/* quietspin.c: prints its pid, then computes forever without a system call (until killed). */
#include "say.h"

int main(void) {
  say("quietspin pid %d\n", (int)getpid());
  volatile unsigned long n = 0;
  for (;;) n++;
}
