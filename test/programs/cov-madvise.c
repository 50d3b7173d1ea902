/* cov-madvise.c DIR: memory advice and syncing: MADV_DONTNEED zeroes private anonymous pages,
 * MADV_FREE, mincore of touched and untouched pages, mlock/munlock, msync of a shared file mapping
 * then the file read back, MADV_WILLNEED on it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-madvise DIR");
  char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 'x', 2 * 4096);
  unsigned char vec[4];
  mincore(p, 4 * 4096, vec);
  say("mincore %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  madvise(p, 4096, MADV_DONTNEED);
  say("dontneed first-byte %d second-page %c\n", p[0], p[4096]);
  say("free %d\n", madvise(p + 4096, 4096, MADV_FREE));
  say("mlock %d munlock %d\n", mlock(p, 4096), munlock(p, 4096));
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/synced", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 4096);
  char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(s, "via the mapping");
  say("msync %d willneed %d\n", msync(s, 4096, MS_SYNC), madvise(s, 4096, MADV_WILLNEED));
  char back[32] = {0};
  pread(fd, back, 15, 0);
  say("file says %s\n", back);
  unlink(path);
  say("EXIT-SUCCESS\n");
  return 0;
}
