/* random.c: prints randomness from every source a program usually reaches:
 * getrandom(2), /dev/urandom, the kernel's AT_RANDOM auxv bytes, and rand() seeded from the clock. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void hex(const char *label, const unsigned char *p, size_t n) {
  printf("%s ", label);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

int main(void) {
  unsigned char buf[32];
  ssize_t got = getrandom(buf, sizeof buf, 0);
  if (got != (ssize_t)sizeof buf) { printf("getrandom failed %zd\n", got); return 1; }
  hex("getrandom", buf, sizeof buf);

  unsigned char ur[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) { printf("open /dev/urandom failed\n"); return 1; }
  ssize_t n = read(fd, ur, sizeof ur);
  close(fd);
  if (n != (ssize_t)sizeof ur) { printf("read /dev/urandom failed %zd\n", n); return 1; }
  hex("urandom", ur, sizeof ur);

  const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);
  if (!at) { printf("no AT_RANDOM\n"); return 1; }
  hex("at-random", at, 16);

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  srand((unsigned)(ts.tv_nsec ^ (ts.tv_sec << 8)));
  printf("rand");
  for (int i = 0; i < 4; i++) printf(" %d", rand());
  printf("\n");

  /* Non-blocking flavour, too. */
  unsigned char nb[8];
  got = getrandom(nb, sizeof nb, GRND_NONBLOCK);
  if (got == (ssize_t)sizeof nb) hex("getrandom-nonblock", nb, sizeof nb);
  else printf("getrandom-nonblock %zd\n", got);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
