/* cov-splice.c DIR: moving data in the kernel: sendfile file to file, copy_file_range, splice file to
 * pipe to file, tee between pipes, vmsplice from memory into a pipe; prints what each destination holds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "say.h"

static int mk(const char *dir, const char *name) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open");
  unlink(p);
  return fd;
}

static void show(const char *what, int fd) {
  char b[64] = {0};
  pread(fd, b, sizeof b - 1, 0);
  say("%s %s\n", what, b);
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-splice DIR");
  int src = mk(argv[1], "src");
  write(src, "0123456789abcdef", 16);
  int a = mk(argv[1], "a"), b = mk(argv[1], "b"), c = mk(argv[1], "c");
  off_t off = 4;
  say("sendfile %zd off %ld\n", sendfile(a, src, &off, 6), (long)off);
  show("a", a);
  loff_t in = 10, out = 0;
  say("copy_file_range %zd\n", copy_file_range(src, &in, b, &out, 6, 0));
  show("b", b);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  loff_t from = 0;
  say("splice-in %zd\n", splice(src, &from, p[1], NULL, 8, 0));
  say("tee %zd\n", tee(p[0], q[1], 8, 0));
  say("splice-out %zd\n", splice(p[0], NULL, c, NULL, 8, 0));
  show("c", c);
  char t[9] = {0};
  read(q[0], t, 8);
  say("teed %s\n", t);
  struct iovec v = {"vmspliced", 9};
  say("vmsplice %zd\n", vmsplice(p[1], &v, 1, 0));
  char r[10] = {0};
  read(p[0], r, 9);
  say("read %s\n", r);
  say("EXIT-SUCCESS\n");
  return 0;
}
