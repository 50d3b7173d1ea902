/* Checkpoint test program: rounds of checksums over memory it mutates, printed with write(2).
 * argv[1]: MB of extra memory to touch (default 0); argv[2]: "rw" / "ro" maps a shared anonymous page.
 * getppid() after round 10 is the marker where the tracer stops it. SIGUSR1 mutates the data too. */
#include "say.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

static unsigned char data[1 << 20];
static volatile sig_atomic_t hits;

static void on_usr1(int sig) {
  (void)sig;
  hits++;
  data[7] ^= 0x5a;
}

int main(int argc, char **argv) {
  size_t big = argc > 1 ? strtoul(argv[1], NULL, 10) << 20 : 0;
  const char *shared = argc > 2 ? argv[2] : "none";
  unsigned char *mem = NULL;
  if (big) {
    mem = malloc(big);
    if (!mem) die("malloc");
    for (size_t i = 0; i < big; i++) mem[i] = (unsigned char)(i * 7 + 1);
  }
  if (strcmp(shared, "none") != 0) {
    int prot = strcmp(shared, "rw") == 0 ? PROT_READ | PROT_WRITE : PROT_READ;
    if (mmap(NULL, 4096, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) die("mmap");
  }
  signal(SIGUSR1, on_usr1);
  unsigned long long h = 1469598103934665603ULL;
  double acc = 1.0;
  for (int round = 0; round < 30; round++) {
    for (size_t i = 0; i < sizeof data; i++) {
      data[i] = (unsigned char)(data[i] * 31 + round + i);
      h = (h ^ data[i]) * 1099511628211ULL;
      acc = acc * 0.999 + data[i] * 0.5;
    }
    say("round %d sum %016llx acc %.9f hits %d\n", round, h, acc, (int)hits);
    if (round == 10) getppid();
  }
  if (mem) say("big %u\n", mem[big - 1]);
  return (int)(h & 0x7f);
}
