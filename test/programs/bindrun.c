/*
 * bindrun: a test helper, not a recorded program. Runs a command in a mount namespace of its own where
 * files are replaced by bind mounts (the tests replace the machine's dynamic loader and libc):
 *
 *   bindrun SRC DST [SRC DST...] -- CMD [ARGS...]
 *
 * Built statically, so it runs whatever it has just replaced. Needs CAP_SYS_ADMIN (the tests run as root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int i = 1;
  if (unshare(CLONE_NEWNS) != 0) { fprintf(stderr, "bindrun: unshare: %s\n", strerror(errno)); return 126; }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { fprintf(stderr, "bindrun: mount private: %s\n", strerror(errno)); return 126; }
  for (; i + 1 < argc && strcmp(argv[i], "--") != 0; i += 2) {
    if (mount(argv[i], argv[i + 1], NULL, MS_BIND, NULL) != 0) {
      fprintf(stderr, "bindrun: bind %s over %s: %s\n", argv[i], argv[i + 1], strerror(errno));
      return 126;
    }
  }
  if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) { fprintf(stderr, "usage: bindrun SRC DST... -- CMD [ARGS...]\n"); return 126; }
  execv(argv[i + 1], &argv[i + 1]);
  fprintf(stderr, "bindrun: %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}
