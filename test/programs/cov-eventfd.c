/* cov-eventfd.c: eventfd counters: a plain counter summed over writes, a semaphore decremented one by
 * one, EAGAIN when empty and non-blocking, and a child waking its parent through one. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int e = eventfd(5, EFD_CLOEXEC | EFD_NONBLOCK);
  if (e < 0) die("eventfd");
  uint64_t v = 7;
  write(e, &v, 8);
  uint64_t r = 0;
  read(e, &r, 8);
  say("plain sum %llu\n", (unsigned long long)r);
  errno = 0;
  say("empty read %zd errno-eagain %s\n", read(e, &r, 8), errno == EAGAIN ? "yes" : "no");
  int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  int n = 0;
  while (read(s, &r, 8) == 8) n++;
  say("semaphore reads %d each %llu\n", n, (unsigned long long)r);
  int w = eventfd(0, 0);
  pid_t c = fork();
  if (c == 0) {
    usleep(10000);
    uint64_t one = 1;
    write(w, &one, 8);
    _exit(0);
  }
  struct pollfd p = {w, POLLIN, 0};
  int pr = poll(&p, 1, 5000);
  read(w, &r, 8);
  waitpid(c, NULL, 0);
  say("woken poll %d value %llu\n", pr, (unsigned long long)r);
  say("EXIT-SUCCESS\n");
  return 0;
}
