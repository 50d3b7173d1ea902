/* shmfork.c [LOOPS [CHILDREN]]: memory shared between a parent and its forked children (1 to 7). Two regions are inherited
 * over fork: a MAP_SHARED|MAP_ANONYMOUS one and a MAP_SHARED mapping of a memfd. Both processes wait
 * for each other at a barrier in the shared memory, then increment counters in both regions in loops
 * long enough to be preempted: plain ones (a load, an add and a store through a volatile: a data race
 * on purpose, so updates get lost when the two interleave) and atomic ones (lock add: never lost).
 * Every so often each side also copies what it sees of the other's progress into a private array and
 * keeps a running sum of it, which depends on the interleaving too. Each child leaves a report of
 * what it saw when it finished in the shared memory; the parent, after waiting for them, prints the
 * reports and the final values (only the parent writes to stdout: the order of lines written by
 * processes racing each other is not what this program is about). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

struct counters {
  volatile long racy;
  long atomic;
  volatile long progress[8]; /* each side's loop index, published as it goes */
  volatile int ready;
  char report[8][128]; /* each child's last words */
};

static long loops = 6000000;
static int children = 1;

/* What one side saw of the other's progress, sampled every 65536 passes. */
static long seen_sum;

/* Loops of one side: with several children, child 1 does an eighth and ends early, so the others get
 * its SIGCHLD while they loop and are preempted after it. */
static long loops_of(int side) {
  return side == 1 && children > 1 ? loops / 8 : loops;
}

static void work(int side, struct counters *anon, struct counters *mfd) {
  long n = loops_of(side);
  __atomic_fetch_add(&anon->ready, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&anon->ready, __ATOMIC_SEQ_CST) < children + 1) {
  }
  for (long i = 0; i < n; i++) {
    anon->racy = anon->racy + 1;
    mfd->racy = mfd->racy + 1;
    __atomic_fetch_add(&anon->atomic, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&mfd->atomic, 2, __ATOMIC_SEQ_CST);
    if ((i & 0xffff) == 0) {
      anon->progress[side] = i;
      seen_sum += anon->progress[(side + 1) % (children + 1)] + mfd->racy % 1000;
    }
  }
  anon->progress[side] = n;
}

int main(int argc, char **argv) {
  if (argc > 1) loops = atol(argv[1]);
  if (argc > 2) children = atoi(argv[2]);
  if (children < 1 || children > 7) children = 1;
  long total = 0;
  for (int side = 0; side <= children; side++) total += loops_of(side);
  struct counters *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED) die("mmap MAP_SHARED|MAP_ANONYMOUS");
  int fd = memfd_create("shmfork", MFD_CLOEXEC);
  if (fd < 0) die("memfd_create");
  if (ftruncate(fd, 8192) != 0) die("ftruncate");
  char *region = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (region == MAP_FAILED) die("mmap memfd");
  struct counters *mfd = (struct counters *)(region + 4096);
  /* The memfd's first page is written through the mapping and read back with pread. */
  say("parent pid %d\n", (int)getpid());
  snprintf(region, 64, "written-through-mapping by %d", (int)getpid());
  char back[64] = {0};
  if (pread(fd, back, sizeof back - 1, 0) < 0) die("pread");
  say("pread-sees-mapping %s\n", strcmp(back, region) == 0 ? "yes" : "no");

  pid_t child[8];
  for (int c = 1; c <= children; c++) {
    child[c] = fork();
    if (child[c] < 0) die("fork");
    if (child[c] == 0) {
      work(c, anon, mfd);
      snprintf(anon->report[c], sizeof anon->report[c], "child%d saw racy %ld/%ld atomic %ld/%ld progress %ld sum %ld", c,
               anon->racy, mfd->racy, anon->atomic, mfd->atomic, anon->progress[0], seen_sum);
      if (c == 1) snprintf(region + 100, 64, "child %d was here", (int)getpid());
      _exit(c);
    }
  }
  work(0, anon, mfd);
  for (int c = 1; c <= children; c++) {
    int status;
    if (waitpid(child[c], &status, 0) != child[c]) die("waitpid");
    say("child%d exited %d code %d\n", c, WIFEXITED(status), WEXITSTATUS(status));
    say("%s\n", anon->report[c]);
  }
  say("parent saw sum %ld\n", seen_sum);
  say("final racy anon %ld memfd %ld of %ld\n", anon->racy, mfd->racy, total);
  say("final atomic anon %ld memfd %ld exact %s\n", anon->atomic, mfd->atomic,
      anon->atomic == total && mfd->atomic == 2 * total ? "yes" : "no");
  say("lost-updates anon %ld memfd %ld\n", total - anon->racy, total - mfd->racy);
  say("child-note %s\n", region + 100);
  memset(back, 0, sizeof back);
  if (pread(fd, back, sizeof back - 1, 100) < 0) die("pread");
  say("pread-sees-child %s\n", strcmp(back, region + 100) == 0 ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
