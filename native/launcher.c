/*
 * rewind-launcher: prepares a process for tracing, waits for the tracer, then execs the program.
 *
 *   rewind-launcher [--cpu N] [--no-core] [--no-tsc-trap] [--untraced-ip HEX [--untraced-nrs N,N...]] -- PATH ARGV0 [ARGS...]
 *   (environment: passed as is)
 *
 * Order matters: signal state is reset first (Node ignores SIGPIPE/SIGXFSZ and SIG_IGN survives exec),
 * personality/TSC/affinity/rlimits are set, then the process stops itself so the tracer can
 * PTRACE_SEIZE it, and only then installs the seccomp filter (RET_TRACE with no tracer would make
 * every syscall fail with ENOSYS). The first traced syscall is therefore the execve of PATH.
 * No decisions are made here: the tracer (TypeScript) chooses every option.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "rewind-launcher: %s: %s\n", what, strerror(errno));
  _exit(127);
}

/*
 * Every x86-64 syscall stops in the tracer (SECCOMP_RET_TRACE), whatever its number: numbers the kernel
 * does not know (-1, past the table, x32's 0x40000000 range) are answered with ENOSYS by the tracer, as
 * Linux does. Another ABI (i386's int 0x80) is killed. The data bits mark rewind's stops
 * (LAUNCHER_SECCOMP_DATA in src/tracee/spawn.ts): when a filter the program installs later also answers
 * SECCOMP_RET_TRACE, the newest filter's data is reported, so a stop with other data is the program's.
 */
#define REWIND_SECCOMP_DATA 0x7277
/*
 * With --untraced-ip, a syscall made from that one address (the instruction pointer the kernel reports
 * is the address right after the `syscall` instruction) is allowed without a stop: the syscall
 * buffer's own instruction (native/syscallbuf), which runs the calls it records in the program. With
 * --untraced-nrs too (replay), only those syscall numbers are allowed from there: the few calls the
 * buffer makes for real at replay, so nothing else (a diverged program's, a damaged trace's) ever
 * reaches the kernel unseen.
 */
#define MAX_UNTRACED_NRS 8
static void install_filter(unsigned long untraced_ip, const unsigned *nrs, int nnrs) {
  unsigned int lo = (unsigned int)untraced_ip, hi = (unsigned int)(untraced_ip >> 32);
  struct sock_filter prog[10 + MAX_UNTRACED_NRS];
  int n = 0;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  if (untraced_ip != 0) {
    /* ip == untraced_ip (and, with nrs, nr among them): ALLOW; else on to TRACE, the last instruction. */
    int rest = 2 + (nnrs > 0 ? 1 + nnrs : 0); /* instructions between each test and ALLOW */
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, (unsigned char)(rest + 1));
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, (unsigned char)(rest - 1));
    if (nnrs > 0) {
      prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
      for (int k = 0; k < nnrs; k++) {
        /* a match jumps to ALLOW (after the remaining tests); the last miss falls to TRACE past ALLOW */
        int left = nnrs - 1 - k;
        prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[k], (unsigned char)left, k == nnrs - 1 ? 1 : 0);
      }
    }
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | REWIND_SECCOMP_DATA);
  struct sock_fprog fprog = { .len = (unsigned short)n, .filter = prog };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) die("seccomp");
}

int main(int argc, char **argv) {
  int cpu = -1, no_core = 0, no_tsc_trap = 0, i = 1;
  unsigned long untraced_ip = 0;
  unsigned nrs[MAX_UNTRACED_NRS];
  int nnrs = 0;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) cpu = atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-core") == 0) no_core = 1;
    else if (strcmp(argv[i], "--no-tsc-trap") == 0) no_tsc_trap = 1;
    else if (strcmp(argv[i], "--untraced-ip") == 0 && i + 1 < argc) untraced_ip = strtoul(argv[++i], NULL, 16);
    else if (strcmp(argv[i], "--untraced-nrs") == 0 && i + 1 < argc) {
      for (char *p = argv[++i]; *p && nnrs < MAX_UNTRACED_NRS; p += *p == ',') nrs[nnrs++] = (unsigned)strtoul(p, &p, 10);
    } else { fprintf(stderr, "rewind-launcher: unknown option %s\n", argv[i]); return 127; }
  }
  if (i + 1 >= argc) { fprintf(stderr, "usage: rewind-launcher [--cpu N] [--no-core] [--no-tsc-trap] [--untraced-ip HEX [--untraced-nrs N,N...]] -- PATH ARGV0 [ARGS...]\n"); return 127; }
  const char *path = argv[i];
  char **args = &argv[i + 1];

  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < 65; s++) sigaction(s, &dfl, NULL); /* SIGKILL/SIGSTOP and glibc-reserved ones fail: fine */
  /* Every signal stays blocked (rewind spawns the launcher so) until the tracer has seized it: a stray
     signal before that would take its default action; after it, the tracer sees it and decides. */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);

  int pers = personality(0xffffffff);
  if (pers == -1 || personality((unsigned long)pers | ADDR_NO_RANDOMIZE) == -1) die("personality");
  if (!no_tsc_trap && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) die("PR_SET_TSC");
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  }
  if (no_core) {
    struct rlimit zero = { 0, 0 };
    if (setrlimit(RLIMIT_CORE, &zero) != 0) die("setrlimit");
  }

  if (raise(SIGSTOP) != 0) die("raise");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  install_filter(untraced_ip, nrs, nnrs);
  execve(path, args, environ);
  die(path);
  return 127;
}
