/* loop.c [ITERATIONS]: a CPU loop whose result depends on random input, with system calls inside.
 * The checksum is computed only in user space from a getrandom(2) seed, so replay can print it
 * only by re-executing the instructions (or by echoing recorded output: see the e2e tests for how
 * that is told apart). The mode byte in MODE_MARKER is read at run time; tests patch it in the
 * trace's copy of this executable to check that replay runs that copy. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

/* const volatile: stays in .rodata and is read at run time. */
static const volatile char MODE_MARKER[] = "REWIND-LOOP-MODE:A";
#define MODE_INDEX 17

static void say(const char *s) {
  if (write(1, s, strlen(s)) < 0) exit(3);
}

int main(int argc, char **argv) {
  uint64_t iterations = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000000ULL;
  uint64_t seed;
  if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) return 1;
  char mode = MODE_MARKER[MODE_INDEX];
  uint64_t mult = mode == 'A' ? 0x9E3779B97F4A7C15ULL : 0xC2B2AE3D27D4EB4FULL;
  if (mode != 'A') {
    /* Behaves differently: an extra system call and an extra line. */
    char line[64];
    snprintf(line, sizeof line, "mode %c ppid %ld\n", mode, (long)syscall(SYS_getppid));
    say(line);
  }
  char line[160];
  snprintf(line, sizeof line, "seed %016llx iterations %llu\n", (unsigned long long)seed, (unsigned long long)iterations);
  say(line);

  uint64_t x = seed | 1, sum = 0;
  for (uint64_t i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sum += x * mult;
    if ((i & ((1u << 24) - 1)) == 0) {
      /* A system call in the middle of the loop; its result feeds the checksum. */
      sum ^= (uint64_t)syscall(SYS_getppid) << 7;
      if ((i & ((1u << 26) - 1)) == 0) {
        snprintf(line, sizeof line, "progress %llu sum %016llx\n", (unsigned long long)i, (unsigned long long)sum);
        say(line);
      }
    }
  }
  size_t n = 1 << 20;
  uint64_t *buf = malloc(n * sizeof *buf);
  if (!buf) return 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = x;
  }
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ULL;
  snprintf(line, sizeof line, "checksum %016llx buffer %p buffer-hash %016llx\n", (unsigned long long)sum, (void *)buf,
           (unsigned long long)h);
  say(line);
  free(buf);
  say("EXIT-SUCCESS\n");
  return 0;
}
