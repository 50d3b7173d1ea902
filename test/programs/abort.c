/* abort.c: prints, then abort() (SIGABRT: exit status 134 from a shell). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

int main(void) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  printf("about to abort, monotonic %lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
  fflush(stdout);
  fprintf(stderr, "abort.c: calling abort()\n");
  abort();
}
