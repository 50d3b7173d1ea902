/* cov-statx.c DIR: file metadata: statx of a new file (size, mode, nlink, the mask the kernel filled),
 * fstatat with AT_EMPTY_PATH, utimensat to a fixed time read back, a hard link and a symlink. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-statx DIR");
  char f[PATH_MAX], l[PATH_MAX], s[PATH_MAX];
  snprintf(f, sizeof f, "%s/file", argv[1]);
  snprintf(l, sizeof l, "%s/link", argv[1]);
  snprintf(s, sizeof s, "%s/sym", argv[1]);
  int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0640);
  write(fd, "twelve bytes", 12);
  struct statx x;
  if (statx(AT_FDCWD, f, 0, STATX_BASIC_STATS | STATX_BTIME, &x) != 0) die("statx");
  say("statx size %llu mode %o nlink %u basic-filled %s\n", (unsigned long long)x.stx_size, x.stx_mode & 07777, x.stx_nlink,
      (x.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no");
  struct stat st;
  fstatat(fd, "", &st, AT_EMPTY_PATH);
  say("fstatat size %ld regular %s\n", (long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
  struct timespec ts[2] = {{1000000000, 5}, {1234567890, 6}};
  utimensat(AT_FDCWD, f, ts, 0);
  stat(f, &st);
  say("mtime %ld.%ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  link(f, l);
  symlink("file", s);
  char t[64] = {0};
  readlink(s, t, sizeof t - 1);
  stat(f, &st);
  struct stat ls;
  lstat(s, &ls);
  say("nlink %ld symlink-to %s is-link %s\n", (long)st.st_nlink, t, S_ISLNK(ls.st_mode) ? "yes" : "no");
  unlink(s);
  unlink(l);
  unlink(f);
  say("EXIT-SUCCESS\n");
  return 0;
}
