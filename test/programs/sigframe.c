/* A signal handler that stops at an int3 with its frame's ucontext in rax (point-memory.test: the
   stack window holds the signal frame), then returns through glibc's restorer. Exits 0. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void handler(int sig, siginfo_t *info, void *uc) {
  (void)sig;
  (void)info;
  __asm__ volatile("int3" : : "a"(uc) : "memory");
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  return 0;
}
