/* kernelwrites.c: calls whose effects replay once missed.
 *  1. madvise(MADV_DONTNEED) of a locked page fails with EINVAL; after munlock it succeeds and the
 *     page reads back as zeros (mlock must be in force at replay as it was).
 *  2. FUTEX_WAKE_OP changes its second word (the kernel writes it): the new value is printed.
 *  3. open() of a FIFO blocks until a writer opens it: a child opens it for writing after a pause and
 *     sends a line the parent reads (the recorder must let the child run while the parent waits).
 *  4. prctl(PR_GET_TSC) reports the default mode (rewind's own rdtsc trapping stays hidden).
 * The child's pid and times differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    say("usage: kernelwrites DIR\n");
    return 2;
  }
  /* 1. mlock and madvise */
  long page = sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  memset(p, 'x', (size_t)page);
  if (mlock(p, (size_t)page) != 0) die("mlock");
  int r = madvise(p, (size_t)page, MADV_DONTNEED);
  say("madvise-locked %d errno-einval %s byte %c\n", r, r != 0 && errno == EINVAL ? "yes" : "no", p[0]);
  if (munlock(p, (size_t)page) != 0) die("munlock");
  r = madvise(p, (size_t)page, MADV_DONTNEED);
  say("madvise-unlocked %d byte-zero %s\n", r, p[0] == 0 ? "yes" : "no");

  /* 2. FUTEX_WAKE_OP: *b += 3, then wake waiters on a (none) and, as 5 == 5, on b (none) */
  static uint32_t a = 0, b = 5;
  long woken = syscall(SYS_futex, &a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, &b,
                       FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5));
  say("wake-op woken %ld b %u\n", woken, b);

  /* 3. a blocking open of a FIFO */
  char fifo[4096];
  snprintf(fifo, sizeof fifo, "%s/fifo", argv[1]);
  unlink(fifo);
  if (mkfifo(fifo, 0600) != 0) die("mkfifo");
  pid_t c = fork();
  if (c < 0) die("fork");
  if (c == 0) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    int w = open(fifo, O_WRONLY);
    if (w < 0) _exit(2);
    char line[64];
    int n = snprintf(line, sizeof line, "hello from %d\n", (int)getpid());
    if (write(w, line, (size_t)n) != n) _exit(3);
    _exit(0);
  }
  int fd = open(fifo, O_RDONLY);
  if (fd < 0) die("open fifo");
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int status = -1;
  if (waitpid(c, &status, 0) != c) die("waitpid");
  say("fifo read %zd from-child %s child-status %d line %s", n, atoi(buf + 11) == c ? "yes" : "no", WEXITSTATUS(status), buf);
  unlink(fifo);

  /* 4. the TSC mode */
  int mode = -1;
  if (prctl(PR_GET_TSC, &mode, 0, 0, 0) != 0) die("prctl PR_GET_TSC");
  say("tsc-mode-enable %s\n", mode == PR_TSC_ENABLE ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
