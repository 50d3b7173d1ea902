/* cov-epoll.c: epoll over two pipes and an eventfd: level- and edge-triggered readiness, EPOLLONESHOT
 * re-armed with EPOLL_CTL_MOD, a child writing to a pipe while the parent waits in epoll_pwait. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int a[2], b[2];
  if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) die("pipe2");
  int ev = eventfd(0, EFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event e = {.events = EPOLLIN, .data.u32 = 1};
  epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &e);
  e.events = EPOLLIN | EPOLLET;
  e.data.u32 = 2;
  epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &e);
  e.events = EPOLLIN | EPOLLONESHOT;
  e.data.u32 = 3;
  epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
  write(a[1], "aa", 2);
  write(b[1], "bb", 2);
  uint64_t one = 1;
  write(ev, &one, 8);
  struct epoll_event out[8];
  for (int round = 0; round < 2; round++) {
    int n = epoll_wait(ep, out, 8, 0);
    unsigned mask = 0;
    for (int i = 0; i < n; i++) mask |= 1u << out[i].data.u32;
    say("round %d ready %d mask 0x%x\n", round, n, mask);
  }
  e.events = EPOLLIN | EPOLLONESHOT;
  e.data.u32 = 3;
  epoll_ctl(ep, EPOLL_CTL_MOD, ev, &e);
  say("rearmed ready %d\n", epoll_wait(ep, out, 8, 0));
  char buf[8];
  read(a[0], buf, 2);
  read(b[0], buf, 2);
  read(ev, &one, 8);
  pid_t c = fork();
  if (c == 0) {
    usleep(5000);
    write(a[1], "late", 4);
    _exit(0);
  }
  sigset_t none;
  sigemptyset(&none);
  int n = epoll_pwait(ep, out, 8, 5000, &none);
  say("woken ready %d which %u\n", n, n > 0 ? out[0].data.u32 : 0);
  waitpid(c, NULL, 0);
  say("EXIT-SUCCESS\n");
  return 0;
}
