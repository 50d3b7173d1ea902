/* files.c DIR: creates, writes, renames, reads back and deletes files under DIR.
 * Leaves DIR/kept.txt, DIR/sub/inner.txt and DIR/sub/renamed.txt behind.
 * Prints inode numbers and nanosecond mtimes, so two native runs differ. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path_buf[4096];
static const char *at(const char *dir, const char *name) {
  snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
  return path_buf;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  ssize_t w = write(fd, text, len);
  close(fd);
  return w == (ssize_t)len ? 0 : -1;
}

static void show(const char *dir, const char *name) {
  struct stat st;
  if (stat(at(dir, name), &st) != 0) { printf("stat %s: errno %d\n", name, errno); return; }
  printf("stat %s size %lld ino %llu mtime %lld.%09ld\n", name, (long long)st.st_size,
         (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: files DIR\n"); return 2; }
  const char *dir = argv[1];
  if (mkdir(at(dir, "sub"), 0755) != 0) { printf("mkdir sub: errno %d\n", errno); return 1; }
  if (write_file(at(dir, "kept.txt"), "this file stays\n") != 0) return 1;
  if (write_file(at(dir, "scratch.txt"), "this file is deleted\n") != 0) return 1;
  if (write_file(at(dir, "sub/inner.txt"), "inner file, rewritten below\n") != 0) return 1;
  if (write_file(at(dir, "sub/old-name.txt"), "renamed file\n") != 0) return 1;
  char from[4096];
  snprintf(from, sizeof from, "%s", at(dir, "sub/old-name.txt"));
  if (rename(from, at(dir, "sub/renamed.txt")) != 0) { printf("rename: errno %d\n", errno); return 1; }

  /* Append, then read everything back. */
  int fd = open(at(dir, "sub/inner.txt"), O_WRONLY | O_APPEND);
  if (fd < 0 || write(fd, "appended line\n", 14) != 14) return 1;
  close(fd);
  const char *names[] = {"kept.txt", "scratch.txt", "sub/inner.txt", "sub/renamed.txt"};
  for (int i = 0; i < 4; i++) {
    char buf[256];
    fd = open(at(dir, names[i]), O_RDONLY);
    if (fd < 0) return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return 1;
    buf[n] = 0;
    printf("read %s (%zd bytes): %s", names[i], n, buf);
    show(dir, names[i]);
  }
  if (unlink(at(dir, "scratch.txt")) != 0) return 1;
  printf("after-unlink scratch.txt exists %s\n", access(at(dir, "scratch.txt"), F_OK) == 0 ? "yes" : "no");
  printf("old-name exists %s\n", access(at(dir, "sub/old-name.txt"), F_OK) == 0 ? "yes" : "no");
  /* A file created and removed inside a directory that is also removed. */
  if (mkdir(at(dir, "gone"), 0700) != 0) return 1;
  if (write_file(at(dir, "gone/tmp"), "x") != 0) return 1;
  unlink(at(dir, "gone/tmp"));
  if (rmdir(at(dir, "gone")) != 0) return 1;
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
