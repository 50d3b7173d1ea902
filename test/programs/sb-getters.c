/* Calls the syscall buffer runs since the bench workloads showed them traced, and writev to rewind's
 * stdout (test/e2e/sb-getters.test.ts). Each case prints what it read back at once, only what a native
 * run shows the same, so record, replay and a native run can be compared.
 *   getters DIR  getcwd, sysinfo, getrusage, statfs and fstatfs of DIR, prlimit64 reading
 *                RLIMIT_NOFILE
 *   files DIR    in DIR: a file created, written, fsync, fdatasync, fcntl F_SETLK and F_OFD_SETLK locks
 *                (F_GETLK from a fork child sees them), setxattr, lsetxattr, removexattr,
 *                lremovexattr, fremovexattr (ENOTSUP where DIR's filesystem has no user xattrs),
 *                unlink, then stat of the path (ENOENT)
 *   writev       100 lines written to stdout with writev (three iovecs each), one with a bad second
 *                iovec (a short write), one with a bad iovec array (EFAULT), one of 70000 bytes
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include "say.h"

static int getters(const char *dir) {
  if (chdir(dir) != 0) die("chdir");
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) die("getcwd");
  char small[2];
  char *none = getcwd(small, sizeof small);
  int e = errno;
  say("getcwd same %d small %d %d\n", strcmp(cwd, dir) == 0, none == NULL, e == ERANGE);
  struct utsname u;
  if (uname(&u) != 0) die("uname");
  say("uname %s\n", u.sysname);
  struct sysinfo si;
  if (sysinfo(&si) != 0) die("sysinfo");
  say("sysinfo unit %d ram %d\n", si.mem_unit > 0, si.totalram > 0);
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) die("getrusage");
  say("rusage maxrss %d\n", ru.ru_maxrss > 0);
  struct statfs a, b;
  if (statfs(dir, &a) != 0) die("statfs");
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) die("open");
  if (fstatfs(fd, &b) != 0) die("fstatfs");
  say("statfs same type %d bsize %d\n", a.f_type == b.f_type, a.f_bsize == b.f_bsize);
  int bad = statfs("/no/such/dir", &a);
  say("statfs missing %d %d\n", bad, errno == ENOENT);
  struct rlimit rl;
  if (prlimit(0, RLIMIT_NOFILE, NULL, &rl) != 0) die("prlimit");
  struct rlimit rl2;
  if (getrlimit(RLIMIT_NOFILE, &rl2) != 0) die("getrlimit");
  say("nofile same %d\n", rl.rlim_cur == rl2.rlim_cur && rl.rlim_max == rl2.rlim_max);
  return 0;
}

static int files(const char *dir) {
  char path[4096], link[4096];
  snprintf(path, sizeof path, "%s/f.txt", dir);
  snprintf(link, sizeof link, "%s/l.txt", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0) die("open");
  if (write(fd, "some bytes\n", 11) != 11) die("write");
  say("fsync %d fdatasync %d\n", fsync(fd), fdatasync(fd));
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
  int r1 = fcntl(fd, F_SETLK, &fl);
  struct flock ofd = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 6, .l_len = 2 };
  int r2 = fcntl(fd, F_OFD_SETLK, &ofd);
  pid_t child = fork();
  if (child == 0) {
    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
    int r = fcntl(fd, F_GETLK, &q);
    _exit(r == 0 && q.l_type == F_WRLCK ? 0 : 1);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  say("setlk %d ofd %d seen by child %d\n", r1, r2, WIFEXITED(status) && WEXITSTATUS(status) == 0);
  fl.l_type = F_UNLCK;
  say("unlock %d\n", fcntl(fd, F_SETLK, &fl));
  int s1 = setxattr(path, "user.rewind", "v1", 2, 0);
  int x1 = s1 ? errno : 0;
  if (symlink("f.txt", link) != 0) die("symlink");
  int s2 = lsetxattr(path, "user.other", "v2", 2, 0);
  char val[8] = { 0 };
  ssize_t got = s1 == 0 ? fgetxattr(fd, "user.rewind", val, sizeof val) : -1;
  int s3 = removexattr(path, "user.rewind");
  int s4 = lremovexattr(path, "user.other");
  int s5 = fremovexattr(fd, "user.none");
  int x5 = errno;
  say("xattr set %d %s lset %d got %zd %s remove %d lremove %d fremove %d %d\n", s1, x1 == ENOTSUP ? "ENOTSUP" : "ok", s2, got, val,
      s3, s4, s5, x5 == ENODATA || x5 == ENOTSUP);
  close(fd);
  say("unlink %d %d\n", unlink(link), unlink(path));
  struct stat st;
  int gone = stat(path, &st);
  say("after unlink %d %d missing %d\n", gone, errno == ENOENT, unlink(path) == -1 && errno == ENOENT);
  return 0;
}

static int writevs(void) {
  char a[] = "line ", b[16], c[] = " of the writev case\n";
  for (int i = 0; i < 100; i++) {
    int n = snprintf(b, sizeof b, "%d", i);
    struct iovec v[3] = { { a, 5 }, { b, (size_t)n }, { c, sizeof c - 1 } };
    if (writev(1, v, 3) != (ssize_t)(5 + n + sizeof c - 1)) die("writev");
  }
  void *volatile unmapped = (void *)8;
  struct iovec half[2] = { { "short\n", 6 }, { unmapped, 5 } };
  ssize_t r1 = writev(1, half, 2);
  struct iovec *volatile nowhere = (struct iovec *)16;
  ssize_t r2 = writev(1, nowhere, 1);
  int e2 = errno;
  static char big[70000];
  memset(big, 'x', sizeof big);
  big[sizeof big - 1] = '\n';
  struct iovec g = { big, sizeof big };
  ssize_t r3 = writev(1, &g, 1);
  say("short %zd bad %zd %d big %zd\n", r1, r2, e2 == EFAULT, r3);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int rc = 2;
  if (!strcmp(argv[1], "getters") && argc > 2) rc = getters(argv[2]);
  else if (!strcmp(argv[1], "files") && argc > 2) rc = files(argv[2]);
  else if (!strcmp(argv[1], "writev")) rc = writevs();
  if (rc == 0) say("EXIT-SUCCESS\n");
  return rc;
}
