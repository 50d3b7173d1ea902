/* cov-dirs.c DIR: a directory tree: mkdir, files created with openat relative to a directory fd,
 * renameat2 with RENAME_NOREPLACE and RENAME_EXCHANGE, readdir (sorted), unlinkat and rmdir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "say.h"

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: cov-dirs DIR");
  char d[PATH_MAX];
  snprintf(d, sizeof d, "%s/tree", argv[1]);
  mkdir(d, 0700);
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  const char *names[] = {"b", "a", "c"};
  for (int i = 0; i < 3; i++) {
    int f = openat(dfd, names[i], O_WRONLY | O_CREAT, 0600);
    write(f, names[i], 1);
    close(f);
  }
  mkdirat(dfd, "sub", 0700);
  int nr = renameat2(dfd, "a", dfd, "b", RENAME_NOREPLACE);
  int ne = errno;
  int ex = renameat2(dfd, "a", dfd, "b", RENAME_EXCHANGE);
  char x[2] = {0};
  int f = openat(dfd, "a", O_RDONLY);
  read(f, x, 1);
  close(f);
  say("noreplace %d eexist %s exchange %d a-holds %s\n", nr, ne == EEXIST ? "yes" : "no", ex, x);
  DIR *dir = opendir(d);
  char *list[16];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)) && n < 16) list[n++] = strdup(e->d_name);
  closedir(dir);
  qsort(list, (size_t)n, sizeof list[0], cmp);
  char all[128] = {0};
  for (int i = 0; i < n; i++) strcat(strcat(all, " "), list[i]);
  say("entries%s\n", all);
  for (int i = 0; i < 3; i++) unlinkat(dfd, names[i], 0);
  unlinkat(dfd, "sub", AT_REMOVEDIR);
  say("rmdir %d\n", rmdir(d));
  say("EXIT-SUCCESS\n");
  return 0;
}
