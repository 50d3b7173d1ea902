/* cov-passfd.c: descriptors of the program's stdout it got from elsewhere than its own table: a child
 * that closed its stdout receives the parent's over a socketpair (SCM_RIGHTS, through recvmsg) and
 * writes a line through it; the parent writes one through a copy taken with pidfd_getfd. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  pid_t c = fork();
  if (c == 0) {
    close(1);
    char data[1];
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec io = {data, 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    if (recvmsg(sv[1], &m, 0) != 1) _exit(1);
    int got;
    memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
    const char line[] = "child writes through the stdout it received\n";
    _exit(write(got, line, sizeof line - 1) == sizeof line - 1 ? 0 : 2);
  }
  char ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec io = {"x", 1};
  struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  int one = 1;
  memcpy(CMSG_DATA(h), &one, sizeof one);
  if (sendmsg(sv[0], &m, 0) != 1) die("sendmsg");
  int st;
  waitpid(c, &st, 0);
  say("child status %d\n", WEXITSTATUS(st));
  int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
  int copy = (int)syscall(SYS_pidfd_getfd, self, 1, 0);
  if (copy < 0) die("pidfd_getfd");
  const char line[] = "parent writes through a pidfd_getfd copy\n";
  if (write(copy, line, sizeof line - 1) != sizeof line - 1) die("write");
  say("EXIT-SUCCESS\n");
  return 0;
}
