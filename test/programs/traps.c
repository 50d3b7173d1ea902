/* traps.c: does this machine really trap rdtsc under PR_SET_TSC, and cpuid under ARCH_SET_CPUID?
 * An independent check of what `rewind doctor` claims. Prints "rdtsc-trap yes|no", "cpuid-fault yes|no". */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

static volatile int faults;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  faults++;
  ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += 2; /* rdtsc and cpuid are both 2 bytes */
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  uint32_t lo, hi;
  int tsc = prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) == 0;
  faults = 0;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  printf("rdtsc-trap %s\n", tsc && faults == 1 ? "yes" : "no");
  prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
  int cpuid = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0;
  uint32_t a = 0, b, c = 0, d;
  faults = 0;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  printf("cpuid-fault %s\n", cpuid && faults == 1 ? "yes" : "no");
  return 0;
}
