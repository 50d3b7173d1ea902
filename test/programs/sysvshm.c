/* sysvshm.c [LOOPS [CHILDREN]]: System V shared memory between a parent and its forked children (1 to
 * 3). The parent makes a segment (shmget), attaches it (shmat) and forks: the children inherit the
 * attachment; each child also attaches the segment a second time, read-only, at another address and
 * checks both views alias. All wait at a barrier, then increment a racy counter (load, add, store: updates
 * get lost when processes interleave) and an atomic one, publishing progress as they go. The parent
 * reports IPC_STAT's size and attach count, waits for the children, prints the counters and what each
 * child saw, detaches (shmdt), checks a second segment removed with IPC_RMID while attached stays usable,
 * and removes the first. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

struct counters {
  volatile long racy;
  long atomic;
  volatile long progress[4];
  volatile int ready;
  char report[4][128];
};

static long loops = 3000000;
static int children = 1;

static void work(int side, struct counters *c) {
  __atomic_fetch_add(&c->ready, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&c->ready, __ATOMIC_SEQ_CST) < children + 1) {
  }
  long seen = 0;
  for (long i = 0; i < loops; i++) {
    c->racy = c->racy + 1;
    __atomic_fetch_add(&c->atomic, 1, __ATOMIC_SEQ_CST);
    if ((i & 0xffff) == 0) {
      c->progress[side] = i;
      seen += c->progress[(side + 1) % (children + 1)];
    }
  }
  c->progress[side] = loops;
  if (side > 0) snprintf(c->report[side], sizeof c->report[side], "child %d seen %ld", side, seen);
  else say("parent seen %ld\n", seen);
}

int main(int argc, char **argv) {
  if (argc > 1) loops = atol(argv[1]);
  if (argc > 2) children = atoi(argv[2]);
  if (children < 1 || children > 3) children = 1;
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  if (id < 0) die("shmget");
  struct counters *c = shmat(id, NULL, 0);
  if (c == (void *)-1) die("shmat");
  for (int k = 1; k <= children; k++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      const struct counters *ro = shmat(id, NULL, SHM_RDONLY);
      if (ro == (void *)-1) die("child shmat");
      c->progress[k] = 1;
      int alias = ro != (const void *)c && ro->progress[k] == 1;
      work(k, c);
      char *r = c->report[k];
      size_t n = strlen(r);
      snprintf(r + n, sizeof c->report[k] - n, " alias %s", alias ? "yes" : "no");
      if (shmdt(ro) != 0) die("child shmdt");
      _exit(0);
    }
  }
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) die("IPC_STAT");
  say("segsz %zu nattch-at-least-1 %s\n", (size_t)ds.shm_segsz, ds.shm_nattch >= 1 ? "yes" : "no");
  work(0, c);
  for (int k = 1; k <= children; k++) {
    int status;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("wait");
  }
  for (int k = 1; k <= children; k++) say("%s\n", c->report[k]);
  long expected = loops * (children + 1);
  say("racy %ld atomic %ld expected %ld atomic-ok %s\n", c->racy, c->atomic, expected, c->atomic == expected ? "yes" : "no");
  if (shmdt(c) != 0) die("shmdt");
  if (shmdt(c) == 0 || errno != EINVAL) die("second shmdt should fail with EINVAL");
  int id2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  if (id2 < 0) die("shmget 2");
  char *b = shmat(id2, NULL, 0);
  if (b == (void *)-1) die("shmat 2");
  if (shmctl(id2, IPC_RMID, NULL) != 0) die("IPC_RMID 2");
  strcpy(b, "still here");
  say("removed-but-attached: %s\n", b);
  if (shmdt(b) != 0) die("shmdt 2");
  if (shmctl(id, IPC_RMID, NULL) != 0) die("IPC_RMID");
  say("EXIT-SUCCESS\n");
  return 0;
}
