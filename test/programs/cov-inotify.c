/* cov-inotify.c DIR: inotify on a directory: creating, writing, renaming and deleting a file there;
 * prints each event's mask and name. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-inotify DIR");
  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (in < 0) die("inotify_init1");
  int wd = inotify_add_watch(in, argv[1], IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE);
  if (wd < 0) die("inotify_add_watch");
  char a[PATH_MAX], b[PATH_MAX];
  snprintf(a, sizeof a, "%s/one", argv[1]);
  snprintf(b, sizeof b, "%s/two", argv[1]);
  int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  write(fd, "x", 1);
  close(fd);
  rename(a, b);
  unlink(b);
  char buf[4096] __attribute__((aligned(8)));
  ssize_t n = read(in, buf, sizeof buf);
  for (char *p = buf; n > 0 && p < buf + n;) {
    struct inotify_event *e = (struct inotify_event *)p;
    say("event mask 0x%x name %s wd-matches %s cookie-set %s\n", e->mask, e->len ? e->name : "-", e->wd == wd ? "yes" : "no",
        e->cookie ? "yes" : "no");
    p += sizeof *e + e->len;
  }
  inotify_rm_watch(in, wd);
  say("EXIT-SUCCESS\n");
  return 0;
}
