/* time.c: prints clock readings that differ between two native runs.
 * Replay must print exactly what the recording printed, so the recorder has to
 * capture vDSO clock reads (clock_gettime, gettimeofday, time) as well as real syscalls. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ts_ns(const struct timespec *t) { return (long long)t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void) {
  struct timespec rt, mono, boot, cpu, raw_sys;
  struct timeval tv;
  if (clock_gettime(CLOCK_REALTIME, &rt) != 0) return 1;
  if (clock_gettime(CLOCK_MONOTONIC, &mono) != 0) return 1;
  if (clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return 1;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) != 0) return 1;
  if (gettimeofday(&tv, NULL) != 0) return 1;
  time_t t = time(NULL);
  /* The same clock through the raw system call, bypassing the vDSO. */
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &raw_sys) != 0) return 1;

  printf("realtime %lld.%09ld\n", (long long)rt.tv_sec, rt.tv_nsec);
  printf("monotonic %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
  printf("boottime %lld.%09ld\n", (long long)boot.tv_sec, boot.tv_nsec);
  printf("process-cputime %lld.%09ld\n", (long long)cpu.tv_sec, cpu.tv_nsec);
  printf("gettimeofday %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
  printf("time %lld\n", (long long)t);
  printf("monotonic-syscall %lld.%09ld\n", (long long)raw_sys.tv_sec, raw_sys.tv_nsec);

  /* A few readings in sequence: nanosecond parts and the deltas between them. */
  long long prev = ts_ns(&mono);
  int monotonic_ok = ts_ns(&raw_sys) >= prev;
  for (int i = 0; i < 5; i++) {
    struct timespec a, r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &r);
    long long now = ts_ns(&a);
    if (now < prev) monotonic_ok = 0;
    printf("seq %d monotonic-ns %09ld realtime-ns %09ld delta %lld\n", i, a.tv_nsec, r.tv_nsec, now - prev);
    prev = now;
  }
  /* Sanity: realtime is after 2020, gettimeofday agrees with clock_gettime within 10 s. */
  printf("realtime-after-2020 %s\n", rt.tv_sec > 1577836800 ? "yes" : "no");
  long long diff = (long long)tv.tv_sec - (long long)rt.tv_sec;
  printf("gettimeofday-consistent %s\n", diff >= 0 && diff < 10 ? "yes" : "no");
  printf("monotonic-nondecreasing %s\n", monotonic_ok ? "yes" : "no");
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
