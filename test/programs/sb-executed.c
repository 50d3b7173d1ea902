/* The calls the syscall buffer runs again at replay (rt_sigprocmask, rt_sigaction, madvise, brk: the
 * syscall table executes them), and the signals a buffered rt_sigprocmask unblocks
 * (test/e2e/sb-executed.test.ts). Each case prints what it saw, so record, replay and a native run
 * can be compared.
 *   timer     a 2 ms interval timer's SIGALRM while the program blocks and unblocks it in a loop
 *             with sigprocmask, until 30 were handled (each handler checks SIGALRM is blocked in it)
 *   tkill     the same with SIGUSR1 sent by a second thread with tgkill, until 30 were handled
 *   actions   rt_sigaction installing and reading handlers, the old action read back at once
 *   madvise   MADV_DONTNEED of a written private anonymous page (reads as zeros), MADV_WILLNEED,
 *             MADV_FREE, a bad advice (EINVAL) and an unaligned address (EINVAL)
 *   heap      brk: the heap grown by 3 pages, written, shrunk by one, grown by 64 KiB; a request below
 *             the heap's start (the kernel leaves the end as it was); ends printed relative to the first
 *   bad       sigprocmask with a bad `how` (EINVAL) and a bad old set pointer (EFAULT), both
 *             buffered; through syscall(2) (traced) a bad set pointer (EFAULT) and sigsetsize (EINVAL);
 *             sigaction of SIGKILL (EINVAL, buffered)
 *   oldmask   blocks SIGUSR1, SIGUSR2 and SIGWINCH, then blocks SIGTERM reading the old mask, which it
 *             prints (a trace with that record's old mask changed diverges there)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include "say.h"

static volatile sig_atomic_t handled, unblocked_in_handler;

static void on_signal(int signo) {
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now); /* buffered too: in the handler the signal is blocked */
  if (!sigismember(&now, signo)) unblocked_in_handler++;
  handled++;
}

/*
 * Blocks and unblocks signo with sigprocmask until 30 were handled while it runs (those handled before
 * it started do not count: recorded on a loaded machine, a handler's round trip can outlast the
 * interval, and signals then land back to back before the loop is reached); the signals land as it
 * unblocks. yield_every: a sched_yield every that many passes (0: none), to let a sending thread run.
 */
static void mask_loop(int signo, long yield_every) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, signo);
  long loops = 0;
  if (sigprocmask(SIG_BLOCK, &block, &old) != 0) die("sigprocmask");
  handled = 0;
  if (sigprocmask(SIG_SETMASK, &old, NULL) != 0) die("sigprocmask");
  while (handled < 30 && loops < 20000000) {
    if (sigprocmask(SIG_BLOCK, &block, &old) != 0) die("sigprocmask");
    for (volatile int i = 0; i < 200; i++) {
    }
    if (sigprocmask(SIG_SETMASK, &old, NULL) != 0) die("sigprocmask");
    loops++;
    if (yield_every && loops % yield_every == 0) sched_yield();
  }
}

static int timer(void) {
  signal(SIGALRM, on_signal);
  struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  mask_loop(SIGALRM, 0);
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  say("timer handled %s unblocked-in-handler %d\n", handled >= 30 ? ">=30" : "few", unblocked_in_handler);
  return 0;
}

static pid_t main_tid;
static volatile int stop;

static void *sender(void *arg) {
  (void)arg;
  while (!stop) {
    syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
    usleep(300);
  }
  return NULL;
}

static int tkill(void) {
  signal(SIGUSR1, on_signal);
  main_tid = (pid_t)syscall(SYS_gettid);
  pthread_t t;
  if (pthread_create(&t, NULL, sender, NULL) != 0) die("pthread_create");
  mask_loop(SIGUSR1, 200);
  stop = 1;
  pthread_join(t, NULL);
  say("tkill handled %s unblocked-in-handler %d\n", handled >= 30 ? ">=30" : "few", unblocked_in_handler);
  return 0;
}

static void h1(int s) { (void)s; }
static void h2(int s) { (void)s; }

static int actions(void) {
  struct sigaction sa, old;
  for (int i = 0; i < 20; i++) {
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = i % 2 ? h1 : h2;
    sa.sa_flags = i % 3 ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    if (i % 4) sigaddset(&sa.sa_mask, SIGUSR2);
    if (sigaction(SIGUSR1, &sa, &old) != 0) die("sigaction");
    say("action %d old %s restart %d usr2 %d\n", i, old.sa_handler == h1 ? "h1" : old.sa_handler == h2 ? "h2" : "dfl",
        (old.sa_flags & SA_RESTART) != 0, sigismember(&old.sa_mask, SIGUSR2));
  }
  if (sigaction(SIGUSR1, NULL, &old) != 0) die("sigaction");
  say("action now %s\n", old.sa_handler == h1 ? "h1" : "h2");
  signal(SIGUSR1, SIG_IGN);
  raise(SIGUSR1);
  say("ignored\n");
  return 0;
}

static int madv(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  memset(p, 7, 4 * page);
  int r1 = madvise(p, 2 * page, MADV_DONTNEED);
  say("dontneed %d first %d last %d\n", r1, p[0], p[4 * page - 1]);
  int r2 = madvise(p, 4 * page, MADV_WILLNEED);
  int r3 = madvise(p + 2 * page, page, MADV_FREE);
  p[2 * page] = 9; /* written after MADV_FREE: kept */
  int r4 = madvise(p, page, 12345);
  int e4 = errno;
  int r5 = madvise(p + 1, page, MADV_DONTNEED);
  int e5 = errno;
  say("willneed %d free %d kept %d bad %d %d unaligned %d %d\n", r2, r3, p[2 * page], r4, e4 == EINVAL, r5, e5 == EINVAL);
  return 0;
}

static int heap(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *start = (char *)syscall(SYS_brk, 0);
  char *grown = (char *)syscall(SYS_brk, start + 3 * page);
  memset(start, 5, 3 * page);
  char *shrunk = (char *)syscall(SYS_brk, start + 2 * page);
  char *big = (char *)syscall(SYS_brk, start + 2 * page + 65536);
  big[-1] = 1;
  char *below = (char *)syscall(SYS_brk, (char *)4096);
  void *s = sbrk(0);
  say("heap grown %ld shrunk %ld big %ld below %ld sbrk %ld kept %d\n", (long)(grown - start), (long)(shrunk - start),
      (long)(big - start), (long)(below - start), (long)((char *)s - start), start[page]);
  return 0;
}

static int bad(void) {
  sigset_t set, old;
  sigemptyset(&set);
  long r1 = sigprocmask(99, &set, &old);
  int e1 = errno;
  long r2 = syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)16, &old, 8);
  int e2 = errno;
  long r3 = sigprocmask(SIG_BLOCK, &set, (sigset_t *)16);
  int e3 = errno;
  long r4 = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 4);
  int e4 = errno;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h1;
  int r5 = sigaction(SIGKILL, &sa, NULL);
  int e5 = errno;
  say("how %ld %d set %ld %d old %ld %d size %ld %d kill %d %d\n", r1, e1 == EINVAL, r2, e2 == EFAULT, r3, e3 == EFAULT,
      r4, e4 == EINVAL, r5, e5 == EINVAL);
  return 0;
}

static int oldmask(void) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGWINCH);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, &old) != 0) die("sigprocmask");
  say("old usr1 %d usr2 %d winch %d term %d\n", sigismember(&old, SIGUSR1), sigismember(&old, SIGUSR2),
      sigismember(&old, SIGWINCH), sigismember(&old, SIGTERM));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int rc = 2;
  if (!strcmp(argv[1], "timer")) rc = timer();
  else if (!strcmp(argv[1], "tkill")) rc = tkill();
  else if (!strcmp(argv[1], "actions")) rc = actions();
  else if (!strcmp(argv[1], "madvise")) rc = madv();
  else if (!strcmp(argv[1], "bad")) rc = bad();
  else if (!strcmp(argv[1], "heap")) rc = heap();
  else if (!strcmp(argv[1], "oldmask")) rc = oldmask();
  if (rc == 0) say("EXIT-SUCCESS\n");
  return rc;
}
