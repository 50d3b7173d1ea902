/* privwrite.c DIR [overlap]: a file mapped privately, read-only, then written with pwrite/write. Without
 * `overlap`: the writes go past the mapped page (an append) or happen after munmap, which the mapping
 * cannot show; prints what it reads. With `overlap`: a pwrite into the mapped page, which natively shows
 * through the mapping (its page was never copied on write) — what rewind refuses to record. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: privwrite DIR [overlap]");
  char path[4096];
  snprintf(path, sizeof path, "%s/privwrite.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open");
  char page[4096];
  memset(page, 'a', sizeof page);
  if (write(fd, page, sizeof page) != (ssize_t)sizeof page) die("write");
  const char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) die("mmap");
  say("mapped %.4s\n", m);
  if (write(fd, "appended", 8) != 8) die("append");
  say("after-append %.4s size %ld\n", m, (long)lseek(fd, 0, SEEK_END));
  if (argc > 2 && strcmp(argv[2], "overlap") == 0) {
    if (pwrite(fd, "NEW!", 4, 0) != 4) die("pwrite");
    say("after-pwrite %.4s\n", m);
  }
  if (munmap((void *)m, 4096) != 0) die("munmap");
  if (pwrite(fd, "late", 4, 0) != 4) die("pwrite after munmap");
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) die("mmap 2");
  say("remapped %.4s\n", m);
  close(fd);
  unlink(path);
  say("EXIT-SUCCESS\n");
  return 0;
}
