/* cov-rlimits.c: resource limits: RLIMIT_NOFILE lowered until open fails with EMFILE, prlimit on
 * itself, RLIMIT_FSIZE making a write fail with EFBIG (SIGXFSZ ignored), getrusage of itself. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  struct rlimit r;
  getrlimit(RLIMIT_NOFILE, &r);
  struct rlimit low = {8, r.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &low) != 0) die("setrlimit");
  int opened = 0;
  while (open("/dev/null", O_RDONLY) >= 0) opened++;
  say("nofile 8 opened %d errno-emfile %s\n", opened, errno == EMFILE ? "yes" : "no");
  for (int fd = 3; fd < 8; fd++) close(fd);
  setrlimit(RLIMIT_NOFILE, &r);
  struct rlimit old, core = {0, 0};
  if (prlimit(0, RLIMIT_CORE, &core, &old) != 0) die("prlimit");
  prlimit(0, RLIMIT_CORE, NULL, &core);
  say("core now %llu\n", (unsigned long long)core.rlim_cur);
  signal(SIGXFSZ, SIG_IGN);
  int fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
  if (fd < 0) fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
  if (fd < 0) die("O_TMPFILE");
  struct rlimit fs = {4096, RLIM_INFINITY};
  setrlimit(RLIMIT_FSIZE, &fs);
  char buf[8192] = {0};
  ssize_t w1 = write(fd, buf, sizeof buf);
  ssize_t w2 = write(fd, buf, sizeof buf);
  say("fsize first %zd second %zd errno-efbig %s\n", w1, w2, errno == EFBIG ? "yes" : "no");
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  say("rusage maxrss-positive %s\n", u.ru_maxrss > 0 ? "yes" : "no");
  say("EXIT-SUCCESS\n");
  return 0;
}
