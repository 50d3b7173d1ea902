/* sb-memory.c: the memory calls the syscall buffer runs (mmap of anonymous private memory, munmap and
 * mprotect outside what the recorder guards), and those it must leave to the tracer.
 *   anon     reservations (PROT_NONE, MAP_NORESERVE), with and without a hint, committed by mprotect
 *            piece by piece, written, partly unmapped and reprotected, in a loop; prints a checksum of
 *            what it read back (the same natively)
 *   guarded  calls on memory the recorder follows: a private file mapping (its munmap and mprotect),
 *            memory made executable (then reprotected and unmapped), a shared anonymous mapping, an
 *            anonymous MAP_FIXED over a fresh mapping; prints their addresses to stderr (they differ
 *            natively) and a checksum to stdout
 *   fork     a child makes the anon loop's calls in its copy of the memory while the parent waits
 *   remap    a page written, unmapped and mapped again at the same address (a hint), four times;
 *            the global `where` holds the word written (for a debugger's watchpoint) */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "say.h"

#define PAGE 4096UL

volatile long *where;

__attribute__((noinline)) void ready(void) {
  __asm__ volatile("" ::: "memory");
}

static unsigned long anon_loop(int rounds) {
  unsigned long sum = 0;
  for (int i = 0; i < rounds; i++) {
    size_t len = PAGE * (16 + i % 16);
    void *hint = i % 3 == 0 ? (void *)(0x100000000000UL + (unsigned long)i * 0x1000000UL) : 0;
    unsigned char *p = mmap(hint, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) die("mmap reserve");
    for (size_t off = 0; off < len; off += 4 * PAGE) {
      size_t n = len - off < 4 * PAGE ? len - off : 4 * PAGE;
      if (mprotect(p + off, n, PROT_READ | PROT_WRITE) != 0) die("mprotect commit");
      for (size_t k = 0; k < n; k += 512) p[off + k] = (unsigned char)(i + k / 512);
    }
    if (mprotect(p, 2 * PAGE, PROT_READ) != 0) die("mprotect read-only");
    for (size_t k = 0; k < len; k += 512) sum = sum * 31 + p[k];
    if (munmap(p + 2 * PAGE, 3 * PAGE) != 0) die("munmap middle");
    if (munmap(p, 2 * PAGE) != 0) die("munmap head");
    if (munmap(p + 5 * PAGE, len - 5 * PAGE) != 0) die("munmap rest");
    unsigned char *q = mmap(0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) die("mmap rw");
    q[PAGE] = (unsigned char)i;
    sum += q[PAGE] + q[0];
    if (munmap(q, 3 * PAGE) != 0) die("munmap rw");
  }
  /* Failures, buffered as failures (replay returns them without running the call): an mprotect of
     pages nothing maps, and (unless this machine overcommits without limit) 64 TiB of memory. */
  if (mprotect((void *)0x200000000000UL, PAGE, PROT_READ) == 0) die("mprotect of nothing");
  void *huge = mmap(0, 1UL << 46, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (huge != MAP_FAILED) munmap(huge, 1UL << 46);
  return sum;
}

static void guarded(void) {
  unsigned long sum = 0;
  int fd = open("/proc/self/exe", O_RDONLY);
  if (fd < 0) die("open");
  unsigned char *file = mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  unsigned char *code = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *shared = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned char *fresh = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (file == MAP_FAILED || code == MAP_FAILED || shared == MAP_FAILED || fresh == MAP_FAILED) die("mmap");
  close(fd);

  sum += file[1] + file[PAGE];
  if (mprotect(file, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect file");
  file[0] ^= 1;
  sum += file[0];

  code[0] = 0xc3; /* ret */
  if (mprotect(code, PAGE, PROT_READ | PROT_EXEC) != 0) die("mprotect exec");
  ((void (*)(void))code)();
  if (mprotect(code, PAGE, PROT_READ | PROT_WRITE) != 0) die("mprotect code rw");
  sum += code[0];

  shared[7] = 7;
  sum += shared[7];
  if (mprotect(shared, PAGE, PROT_READ) != 0) die("mprotect shared");

  unsigned char *fixed = mmap(fresh, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (fixed != fresh) die("mmap fixed");
  fixed[3] = 3;
  sum += fixed[3];

  fprintf(stderr, "file %p code %p shared %p fixed %p\n", (void *)file, (void *)code, (void *)shared, (void *)fixed);
  if (munmap(file, 2 * PAGE) != 0 || munmap(code, PAGE) != 0 || munmap(shared, PAGE) != 0 || munmap(fresh, 2 * PAGE) != 0) die("munmap");
  say("guarded sum %lu\n", sum);
}

static void remap(void) {
  long *pg = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pg == MAP_FAILED) die("mmap");
  where = pg + 10;
  ready();
  for (int i = 0; i < 4; i++) {
    pg[10] = (i + 1) * 100; /* WRITE */
    say("pass %d wrote %ld\n", i, pg[10]);
    if (munmap(pg, 2 * PAGE) != 0) die("munmap");
    long *again = mmap(pg, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (again != pg) die("mmap again");
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "anon";
  if (!strcmp(mode, "anon")) {
    say("anon sum %lu\n", anon_loop(200));
  } else if (!strcmp(mode, "guarded")) {
    guarded();
  } else if (!strcmp(mode, "fork")) {
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      say("child sum %lu\n", anon_loop(50));
      _exit(0);
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("child");
    say("parent sum %lu\n", anon_loop(20));
  } else if (!strcmp(mode, "remap")) {
    remap();
  } else {
    say("unknown mode %s\n", mode);
    return 2;
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
