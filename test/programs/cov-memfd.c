/* cov-memfd.c: a sealed memfd: written, sealed against growth and writes (F_ADD_SEALS), F_GET_SEALS,
 * then writes and ftruncate refused with EPERM; a read-only shared mapping of it; its name in /proc. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int m = memfd_create("cov-sealed", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (m < 0) die("memfd_create");
  write(m, "sealed content", 14);
  if (fcntl(m, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE) != 0) die("F_ADD_SEALS");
  int seals = fcntl(m, F_GET_SEALS);
  say("seals 0x%x\n", seals);
  ssize_t w = pwrite(m, "x", 1, 0);
  int we = errno;
  int t = ftruncate(m, 4096);
  int te = errno;
  say("write %zd eperm %s truncate %d eperm %s\n", w, we == EPERM ? "yes" : "no", t, te == EPERM ? "yes" : "no");
  char *p = mmap(NULL, 14, PROT_READ, MAP_SHARED, m, 0);
  say("mapped %.14s\n", p);
  char link[64], path[64] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", m);
  readlink(link, path, sizeof path - 1);
  say("name %s\n", path);
  say("EXIT-SUCCESS\n");
  return 0;
}
