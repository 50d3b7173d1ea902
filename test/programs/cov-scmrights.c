/* cov-scmrights.c DIR: a socketpair between a parent and its child: the parent opens a file and passes
 * the descriptor with SCM_RIGHTS and its credentials with SCM_CREDENTIALS; the child reads the file
 * through the descriptor it received and answers; SO_PEERCRED names the peer. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-scmrights DIR");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/passed", argv[1]);
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  write(f, "through the passed fd", 21);
  lseek(f, 0, SEEK_SET);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) die("socketpair");
  int on = 1;
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  pid_t c = fork();
  if (c == 0) {
    close(sv[0]);
    char data[8];
    char ctl[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
    struct iovec io = {data, sizeof data};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    if (recvmsg(sv[1], &m, 0) < 0) die("recvmsg");
    int got = -1, credok = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
      if (h->cmsg_type == SCM_RIGHTS) memcpy(&got, CMSG_DATA(h), sizeof got);
      if (h->cmsg_type == SCM_CREDENTIALS) {
        struct ucred u;
        memcpy(&u, CMSG_DATA(h), sizeof u);
        credok = u.pid == getppid();
      }
    }
    char buf[64] = {0};
    ssize_t n = read(got, buf, sizeof buf - 1);
    char reply[128];
    int len = snprintf(reply, sizeof reply, "child read %zd \"%s\" cred-from-parent %s", n, buf, credok ? "yes" : "no");
    write(sv[1], reply, (size_t)len);
    _exit(0);
  }
  close(sv[1]);
  char ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec io = {"x", 1};
  struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &f, sizeof f);
  if (sendmsg(sv[0], &m, 0) != 1) die("sendmsg");
  char buf[128] = {0};
  read(sv[0], buf, sizeof buf - 1);
  say("%s\n", buf);
  struct ucred peer;
  socklen_t len = sizeof peer;
  getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len);
  say("peercred-is-self %s\n", peer.pid == getpid() ? "yes" : "no");
  waitpid(c, NULL, 0);
  unlink(path);
  say("EXIT-SUCCESS\n");
  return 0;
}
