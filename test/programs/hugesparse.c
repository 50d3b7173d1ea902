/* hugesparse.c DIR: a 100 GiB sparse file in DIR and a 100 GiB memfd, each with a few bytes written
 * far apart (the rest holes), mapped in windows around those bytes and, for the file, as a whole
 * (100 GiB of address space, nearly all hole). Prints what it reads through the mappings. The file is
 * removed at the end. Nothing here touches more than a few pages, so recording it must not either.
 * hugesparse DIR far: instead writes 20 MiB far from the windows it maps (their copies leave them out);
 * hugesparse DIR mremap: the same, then grows a window with mremap over those 20 MiB. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "say.h"

#define GIB (1ULL << 30)
#define SIZE (100 * GIB)

static uint64_t fnv(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static void put(int fd, off_t at, const char *text) {
  if (pwrite(fd, text, strlen(text), at) != (ssize_t)strlen(text)) die("pwrite");
}

/* Maps [at - before, at + after) of fd and prints the text at `at` and a hash of the window. */
static void window(const char *what, int fd, off_t at, size_t before, size_t after, size_t len) {
  off_t start = at - (off_t)before;
  unsigned char *m = mmap(NULL, before + after, PROT_READ, MAP_PRIVATE, fd, start);
  if (m == MAP_FAILED) die("mmap window");
  say("%s window at %lld: \"%.*s\" hash %016llx\n", what, (long long)start, (int)len, (const char *)m + before,
      (unsigned long long)fnv(m, before + after));
  munmap(m, before + after);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    say("usage: hugesparse DIR\n");
    return 2;
  }
  char stamp[64];
  snprintf(stamp, sizeof stamp, "t=%lld", clock_ns(CLOCK_REALTIME)); /* differs at every run */
  char path[4096];
  snprintf(path, sizeof path, "%s/huge.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open");
  if (ftruncate(fd, (off_t)SIZE) != 0) die("ftruncate file");
  put(fd, 0, "head of the file");
  put(fd, (off_t)(50 * GIB + 123), stamp);
  put(fd, (off_t)(77 * GIB), "far out");
  put(fd, (off_t)(SIZE - 9), "the tail");
  window("file middle", fd, (off_t)(50 * GIB + 123), (1 << 20) + 123, 1 << 20, strlen(stamp));
  window("file end", fd, (off_t)(SIZE - 9), 65536 - 9 + 4096, 9, 8);

  if (argc > 2 && (strcmp(argv[2], "far") == 0 || strcmp(argv[2], "mremap") == 0)) {
    /* 20 MiB of data far from the windows mapped next (so a window's copy leaves them out). */
    static unsigned char block[1 << 20];
    for (int i = 0; i < 20; i++) {
      memset(block, 'a' + i, sizeof block);
      memcpy(block + 1000, stamp, strlen(stamp));
      if (pwrite(fd, block, sizeof block, (off_t)(78 * GIB) + (off_t)i * (1 << 20)) != (ssize_t)sizeof block) die("pwrite");
    }
    window("far: file middle", fd, (off_t)(50 * GIB + 123), 123, 4096 - 123, strlen(stamp));
    window("far: 1 MiB of the 20", fd, (off_t)(78 * GIB + 5 * (1 << 20) + 1000), 1000, (1 << 20) - 1000, strlen(stamp));
    if (strcmp(argv[2], "mremap") == 0) {
      /* Grow a window over the 20 MiB with mremap: what its copy does not hold. */
      off_t start = (off_t)(50 * GIB);
      unsigned char *m = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE, fd, start);
      if (m == MAP_FAILED) die("mmap before mremap");
      say("window before mremap: \"%.*s\"\n", (int)strlen(stamp), (const char *)m + 123);
      unsigned char *g = mremap(m, 1 << 20, 29 * GIB, MREMAP_MAYMOVE);
      if (g == MAP_FAILED) die("mremap");
      say("grown window: \"%.7s\"\n", (const char *)g + 28 * GIB);
    }
    close(fd);
    unlink(path);
    say("EXIT-SUCCESS\n");
    return 0;
  }

  /* Mapped executable too (rewind looks for instructions to patch in executable mappings). */
  unsigned char *x = mmap(NULL, 1 << 20, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (off_t)(50 * GIB));
  if (x == MAP_FAILED) say("executable window refused\n");
  else {
    say("executable window: \"%.*s\"\n", (int)strlen(stamp), (const char *)x + 123);
    munmap(x, 1 << 20);
  }

  unsigned char *all = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
  if (all == MAP_FAILED) die("mmap whole file");
  say("whole file: \"%.16s\" \"%.*s\" \"%.7s\" \"%.8s\" zero at 30 GiB %d\n", (const char *)all,
      (int)strlen(stamp), (const char *)all + 50 * GIB + 123, (const char *)all + 77 * GIB, (const char *)all + SIZE - 9,
      all[30 * GIB]);
  munmap(all, SIZE);
  close(fd);
  if (unlink(path) != 0) die("unlink");

  int mfd = memfd_create("huge", MFD_CLOEXEC);
  if (mfd < 0) die("memfd_create");
  if (ftruncate(mfd, (off_t)SIZE) != 0) die("ftruncate memfd");
  put(mfd, 4096, "memfd page one");
  put(mfd, (off_t)(70 * GIB + 5), stamp);
  window("memfd", mfd, (off_t)(70 * GIB + 5), 8192 + 5, 8192, strlen(stamp));
  unsigned char *shared = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  if (shared == MAP_FAILED) die("mmap memfd start");
  close(mfd);
  memcpy(shared + 100, "written through the mapping", 27);
  say("memfd start: \"%.14s\" \"%.27s\" hash %016llx\n", (const char *)shared + 4096, (const char *)shared + 100,
      (unsigned long long)fnv(shared, 16384));
  say("EXIT-SUCCESS\n");
  return 0;
}
