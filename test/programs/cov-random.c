/* cov-random.c: random bytes from getrandom, /dev/urandom and the kernel's AT_RANDOM: printed in hex
 * (they differ from run to run; a replay prints the recorded ones). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <unistd.h>

#include "say.h"

static void hex(const char *what, const unsigned char *b, int n) {
  char s[80];
  for (int i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02x", b[i]);
  say("%s %s\n", what, s);
}

int main(void) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != sizeof b) die("getrandom");
  hex("getrandom", b, 16);
  if (getrandom(b, sizeof b, GRND_NONBLOCK | GRND_INSECURE) != sizeof b) die("getrandom insecure");
  hex("insecure", b, 16);
  int fd = open("/dev/urandom", O_RDONLY);
  if (read(fd, b, sizeof b) != sizeof b) die("urandom");
  hex("urandom", b, 16);
  hex("at-random", (const unsigned char *)getauxval(AT_RANDOM), 16);
  say("EXIT-SUCCESS\n");
  return 0;
}
