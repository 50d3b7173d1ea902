/* A program that installs a seccomp filter of its own, as sandboxes do, then keeps going:
 *   getppid    -> SECCOMP_RET_ERRNO(EPERM)   (never reaches a tracer)
 *   uname      -> SECCOMP_RET_TRAP           (SIGSYS; the handler prints si_syscall and the return address)
 *   getpriority-> SECCOMP_RET_TRACE | 7      (no tracer of its own: natively -ENOSYS)
 *   sysinfo    -> SECCOMP_RET_USER_NOTIF     (no listener: natively -ENOSYS)
 *   everything else is allowed.
 * argv[1]: "tsync" installs it with SECCOMP_FILTER_FLAG_TSYNC while a second thread waits in read(2);
 * that thread then makes the filtered calls too; "prctl" installs it with prctl(PR_SET_SECCOMP); "nonnp" skips
 * PR_SET_NO_NEW_PRIVS (root may: CAP_SYS_ADMIN); "kill" adds getsid -> SECCOMP_RET_KILL_PROCESS and
 * calls it at the end; "mmap" opens its own executable first, adds openat -> SECCOMP_RET_ERRNO(EACCES) and
 * maps the file after (replay must open its copy of the file in the process: it cannot); "strict" asks
 * for seccomp strict mode and "listener" for a user-notification listener instead of the filter; "fork"
 * makes the calls in a child forked after the install too (filters are inherited); "nocap" drops
 * CAP_SYS_ADMIN from its effective set and installs the filter without no_new_privs (EACCES natively);
 * "exec PROG ARGS..." execs PROG right after the install, as sandbox launchers do (filters survive execve);
 * "outer PROG ARGS..." installs a filter allowing everything instead and execs PROG (a container's profile).
 * It also asks SECCOMP_GET_ACTION_AVAIL and PR_GET_SECCOMP / PR_GET_NO_NEW_PRIVS.
 */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "say.h"

static volatile sig_atomic_t traps;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  traps++;
  say("SIGSYS %d: si_code %d si_syscall %d si_arch 0x%x si_errno %d\n", sig, si->si_code, si->si_syscall,
      si->si_arch, si->si_errno);
}

/* getppid through a `syscall` instruction of our own, at the global label getppid_insn (for the debugger). */
__attribute__((noinline)) static long raw_getppid(void) {
  long r;
  __asm__ volatile(".globl getppid_insn\ngetppid_insn:\n\tsyscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
  return r;
}

static void calls(const char *who) {
  errno = 0;
  long r = raw_getppid();
  if (r < 0) {
    errno = (int)-r;
    r = -1;
  }
  say("%s: getppid = %ld errno %s\n", who, r, strerrorname_np(errno) ? strerrorname_np(errno) : "0");
  errno = 0;
  r = syscall(SYS_uname, NULL);
  say("%s: uname = %ld after %d trap(s)\n", who, r, (int)traps);
  errno = 0;
  r = syscall(SYS_getpriority, 0, 0);
  say("%s: getpriority = %ld errno %s\n", who, r, errno ? strerrorname_np(errno) : "0");
  errno = 0;
  r = syscall(SYS_sysinfo, NULL);
  say("%s: sysinfo = %ld errno %s\n", who, r, errno ? strerrorname_np(errno) : "0");
  say("%s: getpid still works: %d\n", who, getpid() > 0);
}

static int go[2];

static void *thread_main(void *arg) {
  (void)arg;
  char c;
  if (read(go[0], &c, 1) != 1) die("read");  /* waits here while main installs the filter with TSYNC */
  calls("thread");
  return NULL;
}

#define DENY(nr, action) \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action))

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "outer") == 0 && argc > 2) {
    struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog all = { .len = 1, .filter = allow };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &all) != 0) die("outer filter");
    execv(argv[2], argv + 2);
    die("execv");
  }
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &sa, NULL) != 0) die("sigaction");

  say("PR_GET_SECCOMP before: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  say("PR_GET_NO_NEW_PRIVS before: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  unsigned actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF,
                         SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x12340000u };
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
    errno = 0;
    long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]);
    say("action 0x%08x available: %ld %s\n", actions[i], r, errno ? strerrorname_np(errno) : "");
  }

  struct sock_filter prog[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    DENY(SYS_getppid, SECCOMP_RET_ERRNO | EPERM),
    DENY(SYS_uname, SECCOMP_RET_TRAP | 42),
    DENY(SYS_getpriority, SECCOMP_RET_TRACE | 7),
    DENY(SYS_sysinfo, SECCOMP_RET_USER_NOTIF),
    DENY(SYS_getsid, strcmp(mode, "kill") == 0 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ALLOW),
    DENY(SYS_openat, strcmp(mode, "mmap") == 0 ? SECCOMP_RET_ERRNO | EACCES : SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = { .len = sizeof prog / sizeof prog[0], .filter = prog };

  long r;
  pthread_t th;
  int tsync = strcmp(mode, "tsync") == 0;
  if (tsync) {
    if (pipe(go) != 0) die("pipe");
    if (pthread_create(&th, NULL, thread_main, NULL) != 0) die("pthread_create");
  }
  if (strcmp(mode, "nocap") == 0) {
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) die("capget");
    d[0].effective &= ~(1u << CAP_SYS_ADMIN);
    if (syscall(SYS_capset, &h, d) != 0) die("capset");
    struct sock_fprog empty = { .len = 0, .filter = prog };
    errno = 0;
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0x40, &fprog);
    say("unknown flag first: %ld %s\n", r, errno ? strerrorname_np(errno) : "0");
    errno = 0;
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8);
    say("bad sock_fprog first: %ld %s\n", r, errno ? strerrorname_np(errno) : "0");
    errno = 0;
    r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &empty, 0, 0);
    say("empty filter first: %ld %s\n", r, errno ? strerrorname_np(errno) : "0");
    errno = 0;
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
    say("without no_new_privs or CAP_SYS_ADMIN: %ld %s\n", r, errno ? strerrorname_np(errno) : "0");
    say("PR_GET_SECCOMP: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    say("EXIT-SUCCESS\n");
    return 0;
  }
  if (strcmp(mode, "nonnp") != 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  int self = open(argv[0], O_RDONLY | O_CLOEXEC);
  if (self < 0) die("open argv[0]");
  if (strcmp(mode, "strict") == 0) {
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
    say("strict mode: %ld\n", r);
    syscall(SYS_exit, 0);
  }
  if (strcmp(mode, "listener") == 0) {
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
    say("listener fd: %ld\n", r);
    return 0;
  }
  if (strcmp(mode, "prctl") == 0) r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
  else r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0, &fprog);
  if (r != 0) die("installing the filter");
  say("filter installed (%s)\n", mode[0] ? mode : "seccomp");
  if (strcmp(mode, "exec") == 0 && argc > 2) {
    execv(argv[2], argv + 2);
    die("execv");
  }
  say("PR_GET_SECCOMP after: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  say("PR_GET_NO_NEW_PRIVS after: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  calls("main");
  if (tsync) {
    if (write(go[1], "g", 1) != 1) die("write");
    if (pthread_join(th, NULL) != 0) die("pthread_join");
  }
  if (strcmp(mode, "fork") == 0) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      say("child: PR_GET_SECCOMP %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
      calls("child");
      _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    say("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (strcmp(mode, "kill") == 0) {
    say("calling getsid, which the filter kills\n");
    syscall(SYS_getsid, 0);
    say("still alive?\n");
  }
  if (strcmp(mode, "mmap") == 0) {
    errno = 0;
    int fd = open(argv[0], O_RDONLY);
    say("open now: %d errno %s\n", fd, strerrorname_np(errno));
    const unsigned char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, self, 0);
    if (m == MAP_FAILED) die("mmap");
    say("mapped: %02x %c%c%c\n", m[0], m[1], m[2], m[3]);
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
