/* crash.c: prints, then stores through a bad pointer and dies by SIGSEGV (exit status 139 from a shell). */
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core); /* no core file in the test's cwd */
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  printf("about to crash at %lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
  fflush(stdout);
  static const char err[] = "crash.c: a line on stderr before the crash\n";
  if (write(2, err, sizeof err - 1) < 0) return 1;
  volatile int *bad = (volatile int *)(uintptr_t)0xdead0000;
  *bad = 42;
  printf("still alive?\n");
  return 0;
}
