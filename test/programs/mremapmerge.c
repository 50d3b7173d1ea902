/* mremapmerge.c: mremap across two adjacent mappings, which succeeds only where the kernel merged them
 * into one vma: two anonymous mappings with the same flags (merged), a private /dev/zero mapping next to
 * an anonymous one (not merged: EFAULT), a private memfd mapping split by mprotect (EFAULT) then joined
 * again (merged), and an anonymous mapping grown in place over a neighbour's hole. Prints each outcome. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

#define PG 4096

/* A free stretch of address space (reserved, then released) to place fixed mappings in. */
static char *hole(void) {
  char *p = mmap(NULL, 64 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap hole");
  if (munmap(p, 64 * PG) != 0) die("munmap hole");
  return p;
}

static void try_mremap(const char *what, char *a, size_t old, size_t new_size) {
  char *c = mremap(a, old, new_size, MREMAP_MAYMOVE);
  if (c == MAP_FAILED) say("%s mremap errno %d\n", what, errno);
  else say("%s mremap ok moved %s first %c second %c\n", what, c == a ? "no" : "yes", c[0], c[PG]);
}

static char *fixed(char *at, int prot, int flags, int fd, off_t off) {
  char *p = mmap(at, PG, prot, flags | MAP_FIXED, fd, off);
  if (p != at) die("mmap fixed");
  return p;
}

int main(void) {
  char *h = hole();
  char *a = fixed(h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *b = fixed(h + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 'a';
  b[0] = 'b';
  try_mremap("anon+anon", a, 2 * PG, 8 * PG);

  int z = open("/dev/zero", O_RDWR | O_CLOEXEC);
  if (z < 0) die("open /dev/zero");
  h = hole();
  a = fixed(h, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  b = fixed(h + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 'z';
  b[0] = 'n';
  try_mremap("devzero+anon", a, 2 * PG, 8 * PG);
  close(z);

  int m = memfd_create("merge", MFD_CLOEXEC);
  if (m < 0) die("memfd_create");
  if (ftruncate(m, 4 * PG) != 0) die("ftruncate");
  if (pwrite(m, "x", 1, 0) != 1 || pwrite(m, "y", 1, PG) != 1) die("pwrite");
  a = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, m, 0);
  if (a == MAP_FAILED) die("mmap memfd");
  if (mprotect(a + PG, PG, PROT_READ | PROT_WRITE) != 0) die("mprotect split");
  try_mremap("memfd-split", a, 2 * PG, 3 * PG);
  if (mprotect(a + PG, PG, PROT_READ) != 0) die("mprotect rejoin");
  try_mremap("memfd-rejoined", a, 2 * PG, 3 * PG);
  close(m);

  h = hole();
  a = fixed(h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 'g';
  char *g = mremap(a, PG, 4 * PG, 0);
  say("grow-in-place %s\n", g == a ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
