/* cov-locks.c DIR: file locks between a parent and its child: flock exclusive held by the parent (the
 * child's LOCK_NB fails), fcntl F_SETLK byte ranges and F_GETLK naming the holder, an OFD lock. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-locks DIR");
  char f[PATH_MAX];
  snprintf(f, sizeof f, "%s/locked", argv[1]);
  int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 100);
  flock(fd, LOCK_EX);
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
  fcntl(fd, F_SETLK, &l);
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    int mine = open(f, O_RDWR);
    int fl = flock(mine, LOCK_EX | LOCK_NB);
    int fe = errno;
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 15, .l_len = 1};
    fcntl(mine, F_GETLK, &q);
    struct flock other = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 5};
    int ok = fcntl(mine, F_SETLK, &other);
    char msg[160];
    int n = snprintf(msg, sizeof msg, "child flock %d ewouldblock %s getlk type-wr %s holder-parent %s start %ld other-range %d\n",
                     fl, fe == EWOULDBLOCK ? "yes" : "no", q.l_type == F_WRLCK ? "yes" : "no", q.l_pid == getppid() ? "yes" : "no",
                     (long)q.l_start, ok);
    write(p[1], msg, (size_t)n);
    _exit(0);
  }
  char buf[200] = {0};
  read(p[0], buf, sizeof buf - 1);
  waitpid(c, NULL, 0);
  say("%s", buf);
  int o1 = open(f, O_RDWR), o2 = open(f, O_RDWR);
  struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  int a = fcntl(o1, F_OFD_SETLK, &ofd);
  int b = fcntl(o2, F_OFD_SETLK, &ofd);
  say("ofd first %d second %d eagain %s\n", a, b, errno == EAGAIN ? "yes" : "no");
  unlink(f);
  say("EXIT-SUCCESS\n");
  return 0;
}
