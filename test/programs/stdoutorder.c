/* stdoutorder.c [WRITES [SIZE]]: four processes (the parent and three forked children) write to one
 * stdout at once: WRITES writes each of SIZE bytes (at most PIPE_BUF, so each write is atomic), every
 * one a line naming its writer and count padded to SIZE, with a little work between them. Enough data
 * to fill a pipe whose reader is slower than the writers, so writers wait for the reader together; the
 * order the lines come out in is the interleaving, which differs from run to run. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

static volatile unsigned long sink;

static void writer(int who, int writes, int size) {
  char buf[4096];
  for (int i = 0; i < writes; i++) {
    int n = snprintf(buf, sizeof buf, "writer %d line %d ", who, i);
    memset(buf + n, 'a' + who, (size_t)(size - n - 1));
    buf[size - 1] = '\n';
    if (write(1, buf, (size_t)size) != size) _exit(3);
    for (int k = 0; k < 2000 * (who + 1); k++) sink += (unsigned long)k;
  }
}

int main(int argc, char **argv) {
  int writes = argc > 1 ? atoi(argv[1]) : 200;
  int size = argc > 2 ? atoi(argv[2]) : 2048;
  if (size < 40 || size > 4096) size = 2048;
  for (int who = 1; who <= 3; who++) {
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      writer(who, writes, size);
      _exit(0);
    }
  }
  writer(0, writes, size);
  for (int k = 0; k < 3; k++) {
    int status;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("wait");
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
