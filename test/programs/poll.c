/* poll.c: readiness and local IPC: poll, select and epoll on a pipe (with and without data, with
 * short timeouts), and a socketpair with send/recv and SO_PEERCRED. Waited times and the peer pid
 * differ between native runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 1;

  /* poll on an empty pipe: times out. */
  struct pollfd pfd = {.fd = p[0], .events = POLLIN};
  long long t0 = now_ns();
  int r = poll(&pfd, 1, 20);
  printf("poll-empty result %d revents %d waited-ns %lld\n", r, pfd.revents, now_ns() - t0);
  if (write(p[1], "abc", 3) != 3) return 1;
  pfd.revents = 0;
  r = poll(&pfd, 1, 1000);
  printf("poll-data result %d revents %d\n", r, pfd.revents);

  /* select: data is still there. */
  fd_set rfds;
  FD_ZERO(&rfds);
  FD_SET(p[0], &rfds);
  struct timeval tv = {1, 0};
  r = select(p[0] + 1, &rfds, NULL, NULL, &tv);
  printf("select result %d isset %d\n", r, FD_ISSET(p[0], &rfds) ? 1 : 0);

  /* epoll: level-triggered readiness, then drain and time out. */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return 1;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0) return 1;
  struct epoll_event out[4];
  memset(out, 0, sizeof out);
  r = epoll_wait(ep, out, 4, 1000);
  printf("epoll-data result %d events %u data %llx\n", r, r > 0 ? out[0].events : 0u,
         r > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
  char buf[16];
  ssize_t n = read(p[0], buf, sizeof buf);
  printf("read %zd %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  t0 = now_ns();
  r = epoll_wait(ep, out, 4, 15);
  printf("epoll-empty result %d waited-ns %lld\n", r, now_ns() - t0);
  close(ep);
  close(p[0]);
  close(p[1]);

  /* socketpair */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  const char msg[] = "hello over a socketpair";
  n = send(sv[0], msg, sizeof msg, 0);
  char rb[64];
  ssize_t m = recv(sv[1], rb, sizeof rb, 0);
  printf("socketpair sent %zd received %zd text %s\n", n, m, m > 0 ? rb : "");
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return 1;
  printf("peercred pid %d uid %d self %s\n", (int)cred.pid, (int)cred.uid, cred.pid == getpid() ? "yes" : "no");
  shutdown(sv[0], SHUT_WR);
  m = recv(sv[1], rb, sizeof rb, 0);
  printf("after-shutdown recv %zd\n", m);
  m = recv(sv[1], rb, sizeof rb, MSG_DONTWAIT);
  printf("dontwait recv %zd\n", m);
  close(sv[0]);
  close(sv[1]);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
