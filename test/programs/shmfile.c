/* shmfile.c DIR: a file in DIR mapped shared, twice, and changed every way a program can: through a
 * mapping (the other mapping shows it), with pwrite and write (the mappings show it), with ftruncate
 * growing it and mremap growing a mapping over the new pages (written through the mapping, read back
 * with pread), and by a forked child through the mapping it inherited (the parent sees it after
 * wait). A private mapping made late sees everything written so far. A read-only shared mapping of a
 * memfd shows what pwrite put there. The data written comes from the pid and the clock, so two native
 * runs differ; the file is removed at the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

#define PAGE 4096

static uint64_t fnv(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: shmfile DIR\n"); return 2; }
  char path[4096];
  snprintf(path, sizeof path, "%s/shmfile-XXXXXX", argv[1]);
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp");
  unsigned long long seed = (unsigned long long)clock_ns(CLOCK_REALTIME) ^ ((unsigned long long)getpid() << 32);
  say("seed %llu\n", seed);
  unsigned char page[PAGE];
  for (int i = 0; i < PAGE; i++) page[i] = (unsigned char)(seed >> (i % 8 * 8)) ^ (unsigned char)i;
  if (write(fd, page, PAGE) != PAGE) die("write");
  if (write(fd, page, PAGE) != PAGE) die("write");

  unsigned char *a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED) die("mmap a");
  unsigned char *b = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (b == MAP_FAILED) die("mmap b");
  say("initial hash a %016llx b %016llx\n", (unsigned long long)fnv(a, 2 * PAGE), (unsigned long long)fnv(b, 2 * PAGE));

  /* Through one mapping, seen through the other. */
  snprintf((char *)a + 10, 80, "through-a %llu", seed % 100000);
  say("b-sees-a %s\n", (char *)b + 10);

  /* pwrite and write to the mapped file, seen through both mappings. */
  char msg[64];
  int n = snprintf(msg, sizeof msg, "pwrite-%llu", seed % 7777);
  if (pwrite(fd, msg, (size_t)n + 1, 200) != n + 1) die("pwrite");
  say("a-sees-pwrite %s b-sees-pwrite %s\n", (char *)a + 200, (char *)b + 200);
  if (lseek(fd, PAGE + 300, SEEK_SET) < 0) die("lseek");
  n = snprintf(msg, sizeof msg, "write-%llu", seed % 9999);
  if (write(fd, msg, (size_t)n + 1) != n + 1) die("write at offset");
  say("a-sees-write %s\n", (char *)a + PAGE + 300);
  struct iovec iov[2] = {{(void *)"vec-", 4}, {msg, (size_t)n + 1}};
  if (pwritev(fd, iov, 2, 500) != n + 5) die("pwritev");
  say("b-sees-pwritev %s\n", (char *)b + 500);

  /* ftruncate to grow, mremap a mapping over the new pages, write them, read them back with pread. */
  if (ftruncate(fd, 4 * PAGE) != 0) die("ftruncate");
  unsigned char *g = mremap(a, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
  if (g == MAP_FAILED) die("mremap");
  say("grown-page-zero %d\n", g[3 * PAGE + 5]);
  snprintf((char *)g + 3 * PAGE + 8, 64, "grown-%llu", seed % 5555);
  char back[64] = {0};
  if (pread(fd, back, sizeof back - 1, 3 * PAGE + 8) < 0) die("pread");
  say("pread-sees-grown %s\n", back);
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat");
  say("size %lld\n", (long long)st.st_size);

  /* A child changes the file through its inherited mapping. */
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    snprintf((char *)g + 2 * PAGE, 64, "child-%d", (int)getpid());
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  say("parent-sees-child %s b-sees-old-part %s\n", (char *)g + 2 * PAGE, (char *)b + 10);

  /* Appending with O_APPEND, then a private mapping made late sees all of it. */
  int afd = open(path, O_WRONLY | O_APPEND);
  if (afd < 0) die("open O_APPEND");
  n = snprintf(msg, sizeof msg, "appended-%llu", seed % 3333);
  if (write(afd, msg, (size_t)n + 1) != n + 1) die("append");
  close(afd);
  unsigned char *p = mmap(NULL, 5 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) die("mmap private");
  say("private-sees %s %s %s\n", (char *)p + 10, (char *)p + 2 * PAGE, (char *)p + 4 * PAGE);
  say("final hash %016llx\n", (unsigned long long)fnv(g, 4 * PAGE));

  /* A read-only shared mapping of a memfd shows what pwrite puts there later. */
  int mfd = memfd_create("shmfile", 0);
  if (mfd < 0) die("memfd_create");
  if (ftruncate(mfd, PAGE) != 0) die("ftruncate memfd");
  const char *ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, mfd, 0);
  if (ro == MAP_FAILED) die("mmap memfd");
  n = snprintf(msg, sizeof msg, "memfd-%llu", seed % 4444);
  if (pwrite(mfd, msg, (size_t)n + 1, 64) != n + 1) die("pwrite memfd");
  say("ro-sees-pwrite %s\n", ro + 64);

  if (unlink(path) != 0) die("unlink");
  say("EXIT-SUCCESS\n");
  return 0;
}
