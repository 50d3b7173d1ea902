/* cov-pipes.c: pipe details: O_NONBLOCK EAGAIN when empty and when full, F_GETPIPE_SZ/F_SETPIPE_SZ,
 * FIONREAD, SIGPIPE/EPIPE once the reader is gone, O_DIRECT packet mode keeping write boundaries. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "say.h"

int main(void) {
  int p[2];
  pipe2(p, O_NONBLOCK);
  char b[65536];
  errno = 0;
  ssize_t r = read(p[0], b, 1);
  say("empty %zd eagain %s\n", r, errno == EAGAIN ? "yes" : "no");
  say("size %d set %d\n", fcntl(p[1], F_GETPIPE_SZ), fcntl(p[1], F_SETPIPE_SZ, 8192));
  memset(b, 'p', sizeof b);
  ssize_t total = 0, w;
  while ((w = write(p[1], b, 1000)) > 0) total += w;
  say("filled %zd eagain %s\n", total, errno == EAGAIN ? "yes" : "no");
  int avail = 0;
  ioctl(p[0], FIONREAD, &avail);
  say("fionread %d\n", avail);
  signal(SIGPIPE, SIG_IGN);
  close(p[0]);
  ssize_t gone = write(p[1], "x", 1);
  say("reader-gone %zd epipe %s\n", gone, errno == EPIPE ? "yes" : "no");
  int q[2];
  pipe2(q, O_DIRECT);
  write(q[1], "12345", 5);
  write(q[1], "678", 3);
  ssize_t first = read(q[0], b, sizeof b);
  say("packet first %zd\n", first);
  say("EXIT-SUCCESS\n");
  return 0;
}
