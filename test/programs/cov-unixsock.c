/* cov-unixsock.c: AF_UNIX sockets between processes: an abstract-namespace stream server a child connects
 * to (accept, getpeername, shutdown, EOF), and a SOCK_SEQPACKET pair keeping message boundaries. */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "cov-unixsock-%d", getpid());
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  if (bind(s, (struct sockaddr *)&a, alen) != 0 || listen(s, 1) != 0) die("bind/listen");
  pid_t c = fork();
  if (c == 0) {
    int k = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(k, (struct sockaddr *)&a, alen) != 0) _exit(1);
    write(k, "hello server", 12);
    shutdown(k, SHUT_WR);
    char r[32] = {0};
    read(k, r, sizeof r - 1);
    _exit(strcmp(r, "hello client") == 0 ? 0 : 2);
  }
  int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
  char buf[32] = {0};
  ssize_t got = 0, r;
  while ((r = read(conn, buf + got, sizeof buf - 1 - (size_t)got)) > 0) got += r;
  write(conn, "hello client", 12);
  int st;
  waitpid(c, &st, 0);
  say("server read %zd \"%s\" then-eof yes child-status %d\n", got, buf, WEXITSTATUS(st));
  int sp[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
  send(sp[0], "one", 3, 0);
  send(sp[0], "second", 6, 0);
  char m[16] = {0};
  ssize_t first = recv(sp[1], m, sizeof m, 0);
  ssize_t second = recv(sp[1], m, sizeof m, 0);
  say("seqpacket %zd %zd last %s\n", first, second, m);
  say("EXIT-SUCCESS\n");
  return 0;
}
