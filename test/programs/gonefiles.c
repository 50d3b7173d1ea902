/* gonefiles.c DIR: maps files that are gone before the program reads them through the mapping:
 *   a memfd ("bar"), written, mapped shared and private, its fd closed;
 *   a file in DIR, written, unlinked, then mapped, its fd closed;
 *   a second memfd grown with ftruncate after a first write, mapped, written through the mapping.
 * Prints what it reads through each mapping (a hash and a few bytes). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "say.h"

static uint64_t fnv(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* Content that differs at every run (the clock), so a replay that reads another copy shows. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    p[i] = (unsigned char)(seed >> 16);
  }
}

static void write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= (size_t)w;
  }
}

static void show(const char *what, const unsigned char *m, size_t n) {
  say("%s: %zu bytes hash %016llx first %02x%02x%02x%02x last %02x\n", what, n, (unsigned long long)fnv(m, n), m[0], m[1],
      m[2], m[3], m[n - 1]);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    say("usage: gonefiles DIR\n");
    return 2;
  }
  unsigned seed = (unsigned)clock_ns(CLOCK_REALTIME);
  say("seed %u\n", seed);
  size_t n = 3 * 4096 + 100;
  unsigned char *data = malloc(n);
  if (!data) die("malloc");

  fill(data, n, seed);
  int mfd = memfd_create("bar", 0);
  if (mfd < 0) die("memfd_create");
  write_all(mfd, data, n);
  unsigned char *shared = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  if (shared == MAP_FAILED) die("mmap memfd shared");
  unsigned char *priv = mmap(NULL, n, PROT_READ, MAP_PRIVATE, mfd, 4096);
  if (priv == MAP_FAILED) die("mmap memfd private");
  close(mfd);
  show("memfd shared", shared, n);
  show("memfd private at 4096", priv, n - 4096);
  say("memfd matches what was written: %s\n", memcmp(shared, data, n) == 0 ? "yes" : "no");

  char path[4096];
  snprintf(path, sizeof path, "%s/gone.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) die("open");
  fill(data, n, seed ^ 0x5a5a5a5au);
  write_all(fd, data, n);
  if (unlink(path) != 0) die("unlink");
  unsigned char *del = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
  if (del == MAP_FAILED) die("mmap deleted file");
  close(fd);
  show("deleted file", del, n);
  say("deleted file matches what was written: %s\n", memcmp(del, data, n) == 0 ? "yes" : "no");

  /* Deleted files one after another, same size, written within microseconds: the file system may give
   * each the inode number the previous one freed, with the same mtime. Each must be read as itself. */
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/again.dat", argv[1]);
    int afd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (afd < 0) die("open again");
    fill(data, 8192, seed + 1000u * (unsigned)i);
    write_all(afd, data, 8192);
    if (unlink(path) != 0) die("unlink again");
    unsigned char *a = mmap(NULL, 8192, PROT_READ, MAP_SHARED, afd, 0);
    if (a == MAP_FAILED) die("mmap again");
    close(afd);
    char what[32];
    snprintf(what, sizeof what, "deleted file %d", i);
    show(what, a, 8192);
    say("%s matches what was written: %s\n", what, memcmp(a, data, 8192) == 0 ? "yes" : "no");
    munmap(a, 8192);
  }

  int gfd = memfd_create("grown", MFD_CLOEXEC);
  if (gfd < 0) die("memfd_create grown");
  write_all(gfd, (const unsigned char *)"head", 4);
  if (ftruncate(gfd, 1 << 20) != 0) die("ftruncate");
  unsigned char *g = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
  if (g == MAP_FAILED) die("mmap grown");
  close(gfd);
  memcpy(g + 500000, data, 64);
  show("grown memfd", g, 1 << 20);
  say("EXIT-SUCCESS\n");
  return 0;
}
