/* mmapfail.c FILE: mmap calls on descriptors the kernel refuses to map, each printed with its errno:
 * a directory, a pipe, a file open write-only, a file at an offset that is not page-aligned; then a
 * good mapping of FILE, whose first byte is printed. Replay must fail each the same way. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

static void try_map(const char *what, int fd, int prot, int flags, off_t off) {
  void *p = mmap(NULL, 4096, prot, flags, fd, off);
  if (p == MAP_FAILED) say("%s: errno %d (%s)\n", what, errno, strerror(errno));
  else say("%s: mapped\n", what);
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: mmapfail FILE");
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  if (dir < 0) die("open /");
  try_map("directory", dir, PROT_READ, MAP_PRIVATE, 0);
  int p[2];
  if (pipe(p) != 0) die("pipe");
  try_map("pipe", p[0], PROT_READ, MAP_PRIVATE, 0);
  int wo = open(argv[1], O_WRONLY);
  if (wo < 0) die("open write-only");
  try_map("write-only file, shared", wo, PROT_READ, MAP_SHARED, 0);
  int ro = open(argv[1], O_RDONLY);
  if (ro < 0) die("open read-only");
  try_map("unaligned offset", ro, PROT_READ, MAP_PRIVATE, 100);
  const char *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
  if (q == MAP_FAILED) die("mmap FILE");
  say("good mapping: first byte %c\n", q[0]);
  say("EXIT-SUCCESS\n");
  return 0;
}
