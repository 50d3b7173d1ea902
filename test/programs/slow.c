/* slow.c [COUNT] [DELAY_MS]: prints its pid, then COUNT numbered lines, one every DELAY_MS ms. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 30;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  printf("slow pid %d\n", (int)getpid());
  fflush(stdout);
  for (int i = 0; i < count; i++) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("line %d at %lld.%09ld\n", i, (long long)t.tv_sec, t.tv_nsec);
    fflush(stdout);
    struct timespec d = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
  }
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
