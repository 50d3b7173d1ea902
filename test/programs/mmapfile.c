/* mmapfile.c FILE: maps FILE read-only, prints its size, inode, mtime, a hash and the first line
 * as seen through the mapping, then the same through read(2). The tests rewrite FILE after
 * recording: replay must still show what the recording saw. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static void first_line(const char *label, const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n && i < 100 && p[i] != '\n') i++;
  printf("%s first line: %.*s\n", label, (int)i, (const char *)p);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: mmapfile FILE\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { printf("open failed\n"); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) return 1;
  size_t size = (size_t)st.st_size;
  printf("size %zu ino %llu mtime %lld.%09ld\n", size, (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  if (size == 0) { printf("empty\n"); return 1; }
  unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) { printf("mmap failed\n"); return 1; }
  printf("mmap hash %016llx\n", (unsigned long long)fnv(m, size));
  first_line("mmap", m, size);
  /* Also a page from the middle, touched late. */
  size_t mid = size / 2;
  printf("mmap middle byte %u at %zu\n", m[mid], mid);

  static unsigned char rb[1 << 20];
  size_t want = size < sizeof rb ? size : sizeof rb;
  ssize_t n = pread(fd, rb, want, 0);
  printf("pread %zd hash %016llx\n", n, (unsigned long long)fnv(rb, n > 0 ? (size_t)n : 0));
  first_line("pread", rb, n > 0 ? (size_t)n : 0);
  munmap(m, size);
  close(fd);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
