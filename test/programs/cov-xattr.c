/* cov-xattr.c DIR: extended attributes of a file: set two user.* attributes, list, get, replace, remove
 * (a file system without them answers ENOTSUP, natively too). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-xattr DIR");
  char f[PATH_MAX];
  snprintf(f, sizeof f, "%s/attrs", argv[1]);
  int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (setxattr(f, "user.one", "first", 5, 0) != 0) {
    say("setxattr errno %s\n", errno == ENOTSUP ? "ENOTSUP" : strerror(errno));
  } else {
    fsetxattr(fd, "user.two", "second", 6, XATTR_CREATE);
    char list[128];
    ssize_t n = listxattr(f, list, sizeof list);
    int names = 0;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) names++;
    char v[32] = {0};
    ssize_t g = getxattr(f, "user.two", v, sizeof v - 1);
    say("listed %d get %zd %s\n", names, g, v);
    setxattr(f, "user.one", "replaced", 8, XATTR_REPLACE);
    memset(v, 0, sizeof v);
    fgetxattr(fd, "user.one", v, sizeof v - 1);
    removexattr(f, "user.two");
    char gone[8];
    ssize_t r = getxattr(f, "user.two", gone, sizeof gone);
    say("after %s removed %zd errno-enodata %s\n", v, r, errno == ENODATA ? "yes" : "no");
  }
  unlink(f);
  say("EXIT-SUCCESS\n");
  return 0;
}
