/* sbcode.c: a syscall wrapper of the program's own (raw_getpid: `mov $39,%eax; syscall; ret`, the shape
 * rewind's syscall buffer patches) called from code the program maps itself: its own executable mapped
 * again with PROT_EXEC (patched after the mmap), then moved elsewhere with mremap (the site's stub jumped
 * back to where the code was), called again, grown in place, then unmapped and the address mapped
 * anew with the function's bytes read from the file. Each call must return the pid, as natively. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "say.h"

__attribute__((noinline, used)) long raw_getpid(void) {
  long r;
  __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
  return r;
}

/* The file offset of raw_getpid in the executable, from the mapping holding it. */
static long offset_of(void *fn, char *path) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) die("maps");
  char line[512];
  long off = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi, fo;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %511s", &lo, &hi, perms, &fo, path) != 5) continue;
    if ((uintptr_t)fn >= lo && (uintptr_t)fn < hi) {
      off = (long)((uintptr_t)fn - lo + fo);
      break;
    }
  }
  fclose(f);
  return off;
}

int main(void) {
  char path[512];
  long off = offset_of((void *)raw_getpid, path);
  if (off < 0) die("offset");
  long me = getpid();
  say("direct same %d\n", raw_getpid() == me);
  int fd = open(path, O_RDONLY);
  if (fd < 0) die("open");
  size_t len = (size_t)((off + 4096) & ~4095L) + 4096;
  char *m = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) die("mmap");
  long (*fn)(void) = (long (*)(void))(m + off);
  say("mapped same %d\n", fn() == me);
  /* Moved to a place chosen past a hole, so it cannot stay where it was. */
  char *hole = mmap(NULL, len + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (hole == MAP_FAILED) die("hole");
  char *to = hole + 4096;
  char *moved = mremap(m, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (moved != to) die("mremap");
  fn = (long (*)(void))(moved + off);
  say("moved same %d\n", fn() == me);
  say("moved again same %d\n", fn() == me);
  /* Shrunk in place to the page holding the function, then called. */
  size_t keep = (size_t)((off + 4096) & ~4095L) + (off % 4096 > 4000 ? 4096 : 0);
  if (mremap(moved, len, keep, 0) != moved) die("mremap shrink");
  say("shrunk same %d\n", fn() == me);
  if (munmap(moved, keep) != 0) die("munmap");
  /* The same addresses mapped anew (anonymous, written with the same bytes, no patch): a plain syscall. */
  char *again = mmap(moved, keep, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (again != moved) die("mmap again");
  /* From the file: the program's own copy of the function may be patched. */
  if (pread(fd, again + off, 16, off) != 16) die("pread");
  if (mprotect(again, keep, PROT_READ | PROT_EXEC) != 0) die("mprotect");
  say("anew same %d\n", fn() == me);
  say("EXIT-SUCCESS\n");
  return 0;
}
