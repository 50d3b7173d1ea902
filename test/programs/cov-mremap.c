/* cov-mremap.c: mremap: growth that must move (MREMAP_MAYMOVE, contents kept), a move to a chosen
 * address (MREMAP_FIXED), MREMAP_DONTUNMAP leaving the old range empty, shrinking in place. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

int main(void) {
  char *a = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *block = mmap(a + 2 * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  strcpy(a, "kept");
  char *b = mremap(a, 2 * 4096, 8 * 4096, MREMAP_MAYMOVE);
  say("grown moved %s kept %s blocker %s\n", b != a ? "yes" : "no", b, block == a + 2 * 4096 ? "placed" : "elsewhere");
  char *target = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *c = mremap(b, 8 * 4096, 8 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  say("fixed at-target %s kept %s\n", c == target ? "yes" : "no", c);
  char *d = mremap(c, 4096, 4096, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  if (d == MAP_FAILED) say("dontunmap errno %d\n", errno);
  else say("dontunmap moved %s new %s old-now %d\n", d != c ? "yes" : "no", d, c[0]);
  char *e = mremap(c + 4096, 7 * 4096, 2 * 4096, 0);
  say("shrunk in-place %s\n", e == c + 4096 ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
