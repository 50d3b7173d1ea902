/* The syscall buffer's cases, one per argument (test/e2e/syscallbuf.test.ts). Each prints what it
 * read back from buffered calls, so record, replay and a native run can be compared.
 *   basic FILE    fstat, read, lseek, pread of FILE; the output read back and printed at once
 *   signals       a fast interval timer whose SIGALRM lands while buffered calls run (30 alarms, 100 passes)
 *   full FILE     more buffered output than one buffer holds (20000 fstat + 4 KiB preads)
 *   exec          buffered calls, then execve of itself ("after"), which makes its own
 *   fork          buffered calls in a fork child (its own copy of the buffer) and in the parent
 *   vfork         a vfork child (shares the parent's memory: a buffer of its own that takes only calls
 *                 naming no descriptor) calls getpid, resets every signal's handler and its mask as
 *                 posix_spawn's child does, stats a path, fails an execve, calls getpid, execs; then
 *                 150 vfork children in turn (more than the buffer slots) reset handlers and _exit
 *   dup2 FILE     fd 3 a regular file (buffered reads), then a pipe dup2'd over it, read before a
 *                 thread writes to it (not buffered: it waits), then at its end (buffered: poll says so)
 *   thread        a thread makes calls (buffered in a buffer of its own) and exits; main buffers meanwhile
 *   threads       four threads buffer at once, exit, then three more take their freed buffers
 *   threadfull    a thread buffers more than its buffer holds
 *   threadexec    a second thread execs itself ("after") with calls still in its buffer
 *   threadsig     the `signals` loop in a second thread: its timer signals land while it buffers
 *   forkthread    a second thread forks; the child buffers in its copy and starts a thread of its own
 *   branch FILE   maps FILE and stats one of two paths by its first byte (a trace with the copy
 *                 changed makes replay call the other: a divergence inside a buffered run)
 *   calls FILE DIR  each call buffered since format 7, its result read back and printed at once:
 *                 openat of FILE and of DIR, fcntl F_GETFD/F_SETFD/F_GETFL, getdents64, flistxattr,
 *                 fadvise64, ioctl TCGETS/TIOCGWINSZ on a file (ENOTTY), write/pwrite64/writev to a
 *                 new file in DIR read back with pread, write to /dev/null, close
 *   fsops FILE DIR  in DIR: openat creating a file, copy_file_range of FILE into it, FICLONE, fchmod,
 *                 fchown, utimensat, fsetxattr, mkdirat, symlinkat, fchmodat, fchownat, unlinkat; each
 *                 result and what stat and read then show, printed at once
 *   random        getrandom of 32 bytes, printed (record and replay only: differs natively)
 *   openmmap FILE a buffered open's fd mapped (a traced mmap), the buffered close, the mapping read
 *   echo          200 lines written to stdout with write(2), some to a dup of it, and to stderr
 *   anynr FILE    the calls made through glibc's syscall(3), whose number is its caller's: openat,
 *                 read (printed at once), statx, close, getpid (buffered); fork and an unknown number
 *                 (made by the site's stub itself, traced); a pipe read that waits for a child
 *                 (handed to the tracer); each result printed
 *   setgs         sets its own GS base (arch_prctl ARCH_SET_GS), which the buffer uses: refused
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <errno.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "say.h"

static unsigned sum(const char *p, long n) {
  unsigned s = 0;
  for (long i = 0; i < n; i++) s = s * 31 + (unsigned char)p[i];
  return s;
}

static int basic(const char *file) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) die("open");
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat");
  char buf[64] = { 0 };
  long n = read(fd, buf, 16);
  say("size %lld read %ld [%.16s]\n", (long long)st.st_size, n, buf);
  off_t at = lseek(fd, 4, SEEK_SET);
  n = pread(fd, buf, 8, 2);
  say("lseek %lld pread %ld [%.8s] pid-same %d\n", (long long)at, n, buf, getpid() == (pid_t)syscall(SYS_getpid));
  if (stat(file, &st) != 0 || access(file, R_OK) != 0) die("stat");
  struct timespec t1, t2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  say("clock-order %s\n", t2.tv_sec > t1.tv_sec || (t2.tv_sec == t1.tv_sec && t2.tv_nsec >= t1.tv_nsec) ? "ok" : "BAD");
  return 0;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static int signals(void) {
  signal(SIGALRM, on_alarm);
  struct itimerval it = { { 0, 300 }, { 0, 300 } };
  setitimer(ITIMER_REAL, &it, NULL);
  struct stat st;
  long calls = 0;
  unsigned s = 0;
  while ((alarms < 30 || calls < 100) && calls < 50000000) { /* on a loaded machine 30 alarms may come before the first pass */
    fstat(1, &st);
    s = s * 31 + (unsigned)getpid();
    calls++;
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  say("alarms %s calls %ld sum %u\n", alarms >= 30 ? ">=30" : "few", calls, s);
  return 0;
}

static int full(const char *file) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) die("open");
  struct stat st;
  long long total = 0;
  for (int i = 0; i < 20000; i++) {
    if (fstat(fd, &st) != 0) die("fstat");
    total += st.st_size;
  }
  char buf[4096];
  unsigned s = 0;
  for (int i = 0; i < 400; i++) {
    long n = pread(fd, buf, sizeof buf, (i * 997) % 4096);
    s ^= sum(buf, n) + (unsigned)i;
  }
  say("total %lld sum %u\n", total, s);
  return 0;
}

static int exec_self(const char *self) {
  struct stat st;
  for (int i = 0; i < 10; i++) stat("/", &st);
  say("before exec ino %lu\n", (unsigned long)st.st_ino);
  for (int i = 0; i < 5; i++) stat("/tmp", &st); /* left in the buffer when execve comes */
  execl(self, self, "after", (char *)NULL);
  die("execl");
}

static int after_exec(void) {
  struct stat st;
  if (stat("/", &st) != 0) die("stat");
  say("after exec ino %lu\n", (unsigned long)st.st_ino);
  return 0;
}

/* 10 buffered stats, then fork; the child makes 100 more in its copy of the buffer (*t counts them). */
static pid_t stat_then_fork(long long *t) {
  struct stat st;
  for (int i = 0; i < 10; i++) stat("/", &st);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0)
    for (int i = 0; i < 100; i++) { stat("/tmp", &st); *t += st.st_nlink > 0; }
  return child;
}

static int forking(void) {
  struct stat st;
  long long t = 0;
  pid_t child = stat_then_fork(&t);
  if (child == 0) {
    say("child stats %lld same-pid %d\n", t, getpid() == (pid_t)syscall(SYS_getpid));
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  for (int i = 0; i < 10; i++) stat("/", &st);
  say("parent after child: status %d ino %lu\n", WEXITSTATUS(status), (unsigned long)st.st_ino);
  return 0;
}

static void default_handlers(void) {
  struct sigaction dfl, old;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL) sigaction(sig, &dfl, NULL);
  for (int sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static int vforking(void) {
  struct stat st;
  stat("/", &st);
  pid_t me = getpid();
  signal(SIGUSR1, SIG_IGN); /* the children put it back to SIG_DFL; the parent's stays */
  pid_t child = vfork();
  if (child < 0) die("vfork");
  if (child == 0) {
    if (getpid() == me) _exit(9);
    default_handlers();
    stat("/tmp", &st);
    execl("/nonexistent/rewind-test", "x", (char *)NULL);
    if (getpid() == me) _exit(10);
    execl("/bin/true", "true", (char *)NULL);
    _exit(8);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  for (int i = 0; i < 10; i++) stat("/", &st);
  say("vfork child status %d, parent pid same %d\n", WEXITSTATUS(status), getpid() == me);
  int sum_status = 0;
  for (int i = 0; i < 150; i++) {
    pid_t c = vfork();
    if (c < 0) die("vfork");
    if (c == 0) {
      default_handlers();
      _exit(i % 7);
    }
    if (waitpid(c, &status, 0) != c) die("waitpid");
    sum_status += WEXITSTATUS(status);
  }
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  say("150 vfork children, statuses %d, parent's SIGUSR1 still ignored %d\n", sum_status, now.sa_handler == SIG_IGN);
  return 0;
}

static int late_pipe = -1;

/* Writes to late_pipe after 50 ms: a read of the pipe before that must wait, so it goes to the tracer
   (a read of a pipe with data waiting is buffered). */
static void *write_late(void *arg) {
  (void)arg;
  struct timespec ts = { 0, 50 * 1000 * 1000 };
  nanosleep(&ts, NULL);
  if (write(late_pipe, "from the pipe", 13) != 13) die("write");
  return NULL;
}

static int dup_over(const char *file) {
  int fd = fcntl(open(file, O_RDONLY), F_DUPFD, 10);
  if (fd < 0 || dup2(fd, 3) != 3) die("open");
  char buf[32] = { 0 };
  long n = read(3, buf, 8);
  say("file read %ld [%.8s]\n", n, buf);
  int p[2];
  if (pipe(p) != 0) die("pipe");
  if (dup2(p[0], 3) != 3) die("dup2");
  late_pipe = p[1];
  pthread_t t;
  if (pthread_create(&t, NULL, write_late, NULL) != 0) die("pthread_create");
  memset(buf, 0, sizeof buf);
  n = read(3, buf, sizeof buf - 1); /* a pipe now, empty: must go to the tracer, which sees it block */
  say("pipe read %ld [%s]\n", n, buf);
  pthread_join(t, NULL);
  close(p[1]);
  n = read(3, buf, sizeof buf); /* end of file on the pipe */
  say("pipe end %ld\n", n);
  if (dup2(fd, 3) != 3) die("dup2 back");
  n = pread(3, buf, 8, 0); /* fd is 3's old file again */
  say("file again %ld [%.8s]\n", n, buf);
  return 0;
}

static void *worker(void *arg) {
  (void)arg;
  struct stat st;
  long ok = 0;
  for (int i = 0; i < 50; i++) ok += stat("/", &st) == 0;
  return (void *)ok;
}

static int threaded(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) die("pthread_create");
  struct stat st;
  long ok = 0;
  for (int i = 0; i < 50; i++) ok += stat("/tmp", &st) == 0;
  void *r;
  pthread_join(t, &r);
  say("thread %ld main %ld\n", (long)r, ok);
  return 0;
}

static void *stat_worker(void *arg) {
  long id = (long)arg;
  struct stat st;
  unsigned s = 0;
  for (int i = 0; i < 300; i++) {
    if (stat(i % 2 ? "/" : "/tmp", &st) != 0) die("stat");
    s = s * 31 + (unsigned)(st.st_nlink > 0) + (unsigned)(getpid() > 0);
  }
  return (void *)(long)(s ^ (unsigned)id);
}

static int many_threads(void) {
  for (int round = 0; round < 2; round++) {
    int n = round == 0 ? 4 : 3;
    pthread_t t[4];
    for (long i = 0; i < n; i++) if (pthread_create(&t[i], NULL, stat_worker, (void *)i) != 0) die("pthread_create");
    struct stat st;
    long ok = 0;
    for (int i = 0; i < 100; i++) ok += stat("/", &st) == 0;
    unsigned s = 0;
    for (int i = 0; i < n; i++) {
      void *r;
      pthread_join(t[i], &r);
      s ^= (unsigned)(long)r;
    }
    say("round %d threads %d sum %u main %ld\n", round, n, s, ok);
  }
  return 0;
}

static const char *full_file;
static void *full_worker(void *arg) {
  (void)arg;
  full(full_file);
  return NULL;
}

static int thread_full(const char *file) {
  full_file = file;
  pthread_t t;
  if (pthread_create(&t, NULL, full_worker, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  return 0;
}

static const char *self_path;
static void *exec_worker(void *arg) {
  (void)arg;
  struct stat st;
  for (int i = 0; i < 5; i++) stat("/tmp", &st); /* left in this thread's buffer when execve comes */
  execl(self_path, self_path, "after", (char *)NULL);
  die("execl");
}

static int thread_exec(const char *self) {
  self_path = self;
  struct stat st;
  for (int i = 0; i < 5; i++) stat("/", &st);
  pthread_t t;
  if (pthread_create(&t, NULL, exec_worker, NULL) != 0) die("pthread_create");
  for (;;) stat("/", &st); /* until the exec ends this thread */
}

static void *signals_worker(void *arg) {
  (void)arg;
  signals();
  return NULL;
}

static void *unblock_signals_worker(void *arg) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  return signals_worker(arg);
}

static int thread_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* SIGALRM goes to the worker, which has it unblocked */
  pthread_t t;
  if (pthread_create(&t, NULL, unblock_signals_worker, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  return 0;
}

static void *fork_worker(void *arg) {
  (void)arg;
  struct stat st;
  long long t = 0;
  pid_t child = stat_then_fork(&t);
  if (child == 0) {
    pthread_t th;
    if (pthread_create(&th, NULL, stat_worker, (void *)7L) != 0) die("pthread_create");
    void *r;
    pthread_join(th, &r);
    say("child stats %lld thread %u\n", t, (unsigned)(long)r);
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  for (int i = 0; i < 10; i++) stat("/", &st);
  return (void *)(long)WEXITSTATUS(status);
}

static int fork_thread(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, fork_worker, NULL) != 0) die("pthread_create");
  struct stat st;
  for (int i = 0; i < 50; i++) stat("/tmp", &st);
  void *r;
  pthread_join(t, &r);
  say("forking thread: child status %ld\n", (long)r);
  return 0;
}

static int calls(const char *file, const char *dir) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) die("open");
  char buf[64] = { 0 };
  long n = read(fd, buf, 10);
  int fdflags = fcntl(fd, F_GETFD);
  int set = fcntl(fd, F_SETFD, FD_CLOEXEC);
  int fdflags2 = fcntl(fd, F_GETFD);
  int fl = fcntl(fd, F_GETFL);
  say("open %d read %ld [%.10s] getfd %d setfd %d getfd %d getfl-acc %d\n", fd >= 3, n, buf, fdflags, set, fdflags2, fl & O_ACCMODE);
  char names[256];
  long ln = flistxattr(fd, names, sizeof names);
  say("flistxattr %s fadvise %d\n", ln >= 0 || errno == ENOTSUP ? "ok" : "BAD", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  struct termios tio;
  int t = ioctl(fd, TCGETS, &tio);
  int te = errno;
  struct winsize ws;
  int w = ioctl(fd, TIOCGWINSZ, &ws);
  say("tcgets %d errno %d winsz %d errno %d\n", t, te, w, errno);
  say("close %d\n", close(fd));
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  if (d < 0) die("open dir");
  char dents[4096];
  long dn = syscall(SYS_getdents64, d, dents, sizeof dents);
  say("dir open %d getdents %s close %d\n", d >= 3, dn > 0 ? "ok" : "BAD", close(d));
  char path[4096];
  snprintf(path, sizeof path, "%s/written.txt", dir);
  unlink(path);
  int o = open(path, O_RDWR | O_CREAT | O_EXCL, 0600); /* O_CREAT: traced */
  if (o < 0) die("open out");
  long w1 = write(o, "hello, ", 7);
  long w2 = pwrite(o, "buffered", 8, 7);
  struct iovec iov[2] = { { " world", 6 }, { "!\n", 2 } };
  lseek(o, 15, SEEK_SET);
  long w3 = writev(o, iov, 2);
  memset(buf, 0, sizeof buf);
  long r = pread(o, buf, sizeof buf - 1, 0);
  buf[r > 0 ? r - 1 : 0] = 0;
  say("write %ld pwrite %ld writev %ld read back %ld [%s]\n", w1, w2, w3, r, buf);
  say("close %d\n", close(o));
  unlink(path);
  int null = open("/dev/null", O_WRONLY);
  say("devnull write %ld\n", write(null, "gone", 4));
  close(null);
  int missing = open("/nonexistent/file", O_RDONLY);
  say("missing open %d errno %d\n", missing, errno);
  return 0;
}

static int fsops(const char *dir, const char *file) {
  char path[4096], sub[4096], link[4096];
  snprintf(path, sizeof path, "%s/copy.txt", dir);
  snprintf(sub, sizeof sub, "%s/sub", dir);
  snprintf(link, sizeof link, "%s/link", dir);
  int in = open(file, O_RDONLY);
  int out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (in < 0 || out < 0) die("open");
  loff_t off = 4;
  long copied = copy_file_range(in, &off, out, NULL, 100, 0);
  int cl = ioctl(out, 0x40049409 /* FICLONE */, in);
  say("copy_file_range %ld off %lld ficlone %s\n", copied, (long long)off, cl == 0 || errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == EBADF ? "ok" : "BAD");
  int m = fchmod(out, 0600);
  int o = fchown(out, getuid(), getgid());
  struct timespec times[2] = { { 1000000000, 5 }, { 1000000000, 7 } };
  int u = utimensat(AT_FDCWD, path, times, 0);
  int x = fsetxattr(out, "user.rewind", "v", 1, 0);
  say("fchmod %d fchown %d utimensat %d fsetxattr %s\n", m, o, u, x == 0 || errno == ENOTSUP || errno == EPERM ? "ok" : "BAD");
  struct stat st;
  if (fstat(out, &st) != 0) die("fstat");
  say("mode %o mtime %lld.%09ld size %lld\n", st.st_mode & 07777, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_size);
  close(out);
  char buf[16] = { 0 };
  int back = open(path, O_RDONLY);
  say("read back %ld [%.10s]\n", read(back, buf, 10), buf);
  close(back);
  int md = mkdirat(AT_FDCWD, sub, 0755);
  int sl = symlinkat("copy.txt", AT_FDCWD, link);
  int cm = fchmodat(AT_FDCWD, sub, 0700, 0);
  int co = fchownat(AT_FDCWD, link, getuid(), getgid(), AT_SYMLINK_NOFOLLOW);
  char target[64] = { 0 };
  long rl = readlink(link, target, sizeof target - 1);
  say("mkdirat %d symlinkat %d fchmodat %d fchownat %d readlink %ld [%s]\n", md, sl, cm, co, rl, target);
  int ul = unlinkat(AT_FDCWD, link, 0), ud = unlinkat(AT_FDCWD, sub, AT_REMOVEDIR), uf = unlinkat(AT_FDCWD, path, 0);
  say("unlinkat %d %d %d gone %d\n", ul, ud, uf, access(path, F_OK) != 0);
  close(in);
  return 0;
}

static int any_number(const char *f) {
  long fd = syscall(SYS_openat, AT_FDCWD, f, O_RDONLY);
  char buf[17] = {0};
  long n = syscall(SYS_read, fd, buf, 16);
  say("anynr read %ld '%s'\n", n, buf);
  struct statx x;
  long r = syscall(SYS_statx, (int)fd, "", AT_EMPTY_PATH, STATX_SIZE, &x);
  say("anynr statx %ld size %llu\n", r, (unsigned long long)x.stx_size);
  long first = syscall(SYS_close, fd);
  long again = syscall(SYS_close, fd);
  say("anynr close %ld, again %ld errno %d\n", first, again, errno);
  say("anynr getpid %s\n", syscall(SYS_getpid) == getpid() ? "same" : "differs");
  errno = 0;
  r = syscall(1000);
  say("anynr number 1000: %ld errno %d\n", r, errno);
  long child = syscall(SYS_fork);
  if (child == 0) {
    say("anynr child: ppid %s\n", syscall(SYS_getppid) > 0 ? "known" : "none");
    _exit(7);
  }
  int st = 0;
  waitpid((pid_t)child, &st, 0);
  say("anynr child exited %d\n", WEXITSTATUS(st));
  int p[2];
  if (pipe(p) != 0) return 1;
  if (fork() == 0) {
    usleep(100000);
    (void)!write(p[1], "late", 4);
    _exit(0);
  }
  memset(buf, 0, sizeof buf);
  n = syscall(SYS_read, p[0], buf, 16);
  say("anynr pipe read %ld '%s'\n", n, buf);
  wait(NULL);
  return 0;
}

static int random_bytes(void) {
  unsigned char b[32];
  long n = getrandom(b, sizeof b, 0);
  say("getrandom %ld ", n);
  for (int i = 0; i < 32; i++) say("%02x", b[i]);
  say("\n");
  return 0;
}

/* Opens file read-only (a buffered open) and maps its first page (a traced mmap of that fd); *fd gets the fd. */
static const char *map_first_page(const char *file, int *fd) {
  *fd = open(file, O_RDONLY);
  if (*fd < 0) die("open");
  const char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, *fd, 0);
  if (m == MAP_FAILED) die("mmap");
  return m;
}

static int open_mmap(const char *file) {
  int fd;
  const char *m = map_first_page(file, &fd);
  int c = close(fd);
  say("mapped [%.20s] close %d\n", m, c);
  int again = open(file, O_RDONLY); /* the same fd number again */
  char buf[8] = { 0 };
  say("again same fd %d read %ld\n", again == fd, read(again, buf, 4));
  return 0;
}

static int echo_lines(void) {
  char line[64];
  int copy = dup(1);
  for (int i = 0; i < 200; i++) {
    int len = snprintf(line, sizeof line, "line %d of the echo case\n", i);
    if (write(i % 3 == 0 ? copy : 1, line, len) != len) die("write");
  }
  close(copy);
  if (write(2, "to stderr\n", 10) != 10) die("write");
  return 0;
}

static int branch(const char *file) {
  int fd;
  const char *m = map_first_page(file, &fd);
  (void)fd;
  struct stat st;
  for (int i = 0; i < 5; i++) stat("/", &st);
  const char *which = m[0] == 'A' ? "/" : "/tmp";
  for (int i = 0; i < 5; i++) stat(which, &st);
  say("branch %c\n", m[0]);
  return 0;
}

static int run(const char *c, const char *f, const char *self) {
  if (!strcmp(c, "basic")) return basic(f);
  if (!strcmp(c, "signals")) return signals();
  if (!strcmp(c, "full")) return full(f);
  if (!strcmp(c, "exec")) return exec_self(self);
  if (!strcmp(c, "after")) return after_exec();
  if (!strcmp(c, "fork")) return forking();
  if (!strcmp(c, "vfork")) return vforking();
  if (!strcmp(c, "dup2")) return dup_over(f);
  if (!strcmp(c, "thread")) return threaded();
  if (!strcmp(c, "branch")) return branch(f);
  if (!strcmp(c, "threads")) return many_threads();
  if (!strcmp(c, "calls")) return calls(f, self);
  if (!strcmp(c, "random")) return random_bytes();
  if (!strcmp(c, "fsops")) return fsops(self, f);
  if (!strcmp(c, "openmmap")) return open_mmap(f);
  if (!strcmp(c, "echo")) return echo_lines();
  if (!strcmp(c, "threadfull")) return thread_full(f);
  if (!strcmp(c, "threadexec")) return thread_exec(self);
  if (!strcmp(c, "threadsig")) return thread_signals();
  if (!strcmp(c, "forkthread")) return fork_thread();
  if (!strcmp(c, "anynr")) return any_number(f);
  if (!strcmp(c, "setgs")) {
    static long area[64];
    return syscall(SYS_arch_prctl, 0x1001 /* ARCH_SET_GS */, area) == 0 ? 0 : 1;
  }
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  /* calls FILE DIR: DIR in place of the program's own path */
  int rc = run(argv[1], argc > 2 ? argv[2] : "", (!strcmp(argv[1], "calls") || !strcmp(argv[1], "fsops")) && argc > 3 ? argv[3] : argv[0]);
  if (rc == 0) say("EXIT-SUCCESS\n");
  return rc;
}
