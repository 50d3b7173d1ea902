/* stackoverflow.c [MODE]: recurses until the stack overflows, catches the SIGSEGV on an alternate
 * signal stack and reports how deep it got. MODE:
 *   setrlimit  (default) lowers RLIMIT_STACK to 1 MiB with setrlimit(3) (glibc: prlimit64) first;
 *   raw        the same with the setrlimit system call itself;
 *   inherit    keeps the limit it was started with (a shell's `ulimit -s`).
 * Then, in every mode, RLIMIT_DATA and RLIMIT_AS are lowered and a large brk and mmap must fail,
 * and a child process (which inherits the limits) reports its stack limit; the parent lowers the
 * child's RLIMIT_AS with prlimit(child pid) and the child's next big mmap must fail.
 * The depth depends only on the stack limit in force, so a replay that ignores it recurses deeper. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "say.h"

static sigjmp_buf back;
static volatile long depth;
static volatile uintptr_t lowest;
static volatile long limit = 1L << 40; /* never reached: only the stack ends the recursion */

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  lowest = (uintptr_t)si->si_addr;
  siglongjmp(back, 1);
}

__attribute__((noinline)) static long recurse(long n) {
  volatile char frame[512];
  frame[0] = (char)n;
  frame[511] = (char)(n >> 8);
  depth = n;
  if (n >= limit) return frame[0];
  return recurse(n + 1) + frame[0] + frame[511];
}

static void show_stack_limit(const char *who) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) != 0) die("getrlimit");
  if (rl.rlim_cur == RLIM_INFINITY) say("%s stack limit unlimited\n", who);
  else say("%s stack limit %llu KiB\n", who, (unsigned long long)rl.rlim_cur / 1024);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "setrlimit";
  struct rlimit rl = {1 << 20, RLIM_INFINITY};
  if (getrlimit(RLIMIT_STACK, &rl) != 0) die("getrlimit");
  rl.rlim_cur = 1 << 20;
  if (strcmp(mode, "setrlimit") == 0) {
    if (setrlimit(RLIMIT_STACK, &rl) != 0) die("setrlimit");
  } else if (strcmp(mode, "raw") == 0) {
    if (syscall(SYS_setrlimit, RLIMIT_STACK, &rl) != 0) die("SYS_setrlimit");
  } else if (strcmp(mode, "inherit") != 0) {
    say("unknown mode %s\n", mode);
    return 2;
  }
  show_stack_limit("parent");

  static char altstack[64 * 1024];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0) die("sigaction");

  if (sigsetjmp(back, 1) == 0) {
    recurse(1);
    say("recursion returned?\n");
    return 1;
  }
  say("caught the stack overflow on the alternate stack at depth %ld (about %ld KiB), fault %s\n", depth,
      depth * 528 / 1024, lowest != 0 ? "with an address" : "without an address");
  say("depth exactly %ld\n", depth);

  /* The data segment and the address space: a big brk and a big mmap must fail under the new limits. */
  struct rlimit data = {64 << 20, 64 << 20};
  if (prlimit(0, RLIMIT_DATA, &data, NULL) != 0) die("prlimit RLIMIT_DATA");
  void *brk0 = sbrk(0);
  void *brk1 = (void *)syscall(SYS_brk, (char *)brk0 + (256 << 20));
  say("brk +256 MiB under a 64 MiB RLIMIT_DATA %s\n", brk1 == brk0 ? "refused" : "granted");
  struct rlimit as = {1ULL << 32, 1ULL << 32};
  if (setrlimit(RLIMIT_AS, &as) != 0) die("setrlimit RLIMIT_AS");
  void *big = mmap(NULL, 8ULL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  say("mmap 8 GiB under a 4 GiB RLIMIT_AS %s\n", big == MAP_FAILED ? "refused" : "granted");
  struct rlimit old;
  if (prlimit(0, RLIMIT_AS, NULL, &old) != 0) die("prlimit get");
  say("RLIMIT_AS now %llu MiB\n", (unsigned long long)old.rlim_cur >> 20);

  /* By its own pid rather than 0. */
  struct rlimit data2 = {32 << 20, 64 << 20};
  if (prlimit(getpid(), RLIMIT_DATA, &data2, NULL) != 0) die("prlimit own pid");
  void *brk2 = (void *)syscall(SYS_brk, (char *)brk0 + (16 << 20));
  say("brk +16 MiB under a 32 MiB RLIMIT_DATA %s\n", brk2 == brk0 ? "refused" : "granted");

  int go[2];
  if (pipe(go) != 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    show_stack_limit("child");
    void *m = mmap(NULL, 8ULL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    say("child mmap 8 GiB %s\n", m == MAP_FAILED ? "refused" : "granted");
    char c;
    if (read(go[0], &c, 1) != 1) die("read");
    /* The parent lowered this process's RLIMIT_AS to 1 GiB meanwhile. */
    m = mmap(NULL, 2ULL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    say("child mmap 2 GiB after the parent's prlimit %s\n", m == MAP_FAILED ? "refused" : "granted");
    _exit(0);
  }
  struct rlimit one = {1ULL << 30, 1ULL << 30};
  if (prlimit(child, RLIMIT_AS, &one, NULL) != 0) die("prlimit child");
  if (write(go[1], "g", 1) != 1) die("write");
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  say("child exited %d\n", WEXITSTATUS(status));
  say("EXIT-SUCCESS\n");
  return 0;
}
