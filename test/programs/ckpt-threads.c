/* Checkpoint test program: argv[1] workers (default 3), each with its own TLS value and stack array,
 * announce themselves and wait in a futex; main then calls getppid() (the marker where the tracer
 * stops everyone), releases them, joins them and prints a total. Output lines are order-independent. */
#define _GNU_SOURCE
#include "say.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>

static __thread unsigned long tls_val;
static atomic_int ready;
static atomic_int go;

static void *worker(void *arg) {
  int id = (int)(long)arg;
  tls_val = 1000UL * (unsigned long)(id + 1) + 17;
  unsigned long stack_arr[32];
  for (int i = 0; i < 32; i++) stack_arr[i] = tls_val * (unsigned long)(i + 3);
  double f = id + 0.25;
  sigset_t own, cur;
  sigemptyset(&own);
  sigaddset(&own, SIGRTMIN + id); /* a per-thread signal mask the copy must keep */
  if (pthread_sigmask(SIG_BLOCK, &own, NULL) != 0) die("pthread_sigmask");
  atomic_fetch_add(&ready, 1);
  /* Wait with a per-thread value held in xmm15 only (the syscall keeps it): the copy must restore it. */
  unsigned long kept = tls_val * 77, back;
  __asm__ volatile(
      "movq %[v], %%xmm15\n"
      "1: cmpl $0, %[go]\n"
      "jne 2f\n"
      "movl $202, %%eax\n"
      "leaq %[go], %%rdi\n"
      "movl $128, %%esi\n" /* FUTEX_WAIT_PRIVATE */
      "xorl %%edx, %%edx\n"
      "xorl %%r10d, %%r10d\n"
      "syscall\n"
      "jmp 1b\n"
      "2: movq %%xmm15, %[out]\n"
      : [out] "=r"(back), [go] "+m"(go)
      : [v] "r"(kept)
      : "rax", "rdi", "rsi", "rdx", "r10", "rcx", "r11", "xmm15", "memory");
  unsigned long h = tls_val;
  for (int r = 0; r < 2000; r++) {
    for (int i = 0; i < 32; i++) {
      h = h * 6364136223846793005UL + stack_arr[i];
      f = f * 1.5 + 0.1;
      if (f > 1e6) f /= 1e6;
    }
  }
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  char blocked[4] = "---";
  for (int i = 0; i < 3; i++) if (sigismember(&cur, SIGRTMIN + i)) blocked[i] = 'b';
  say("thread %d tls %lu h %016lx f %.9f xmm15 %lu mask %s\n", id, tls_val, h, f, back, blocked);
  return (void *)h;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  if (n < 1 || n > 16) n = 3;
  pthread_t th[16];
  tls_val = 5;
  for (int i = 0; i < n; i++) {
    if (pthread_create(&th[i], NULL, worker, (void *)(long)i) != 0) die("pthread_create");
  }
  while (atomic_load(&ready) < n) sched_yield();
  getppid();
  atomic_store(&go, 1);
  syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, 1000, NULL, NULL, 0);
  unsigned long total = 0;
  for (int i = 0; i < n; i++) {
    void *r;
    if (pthread_join(th[i], &r) != 0) die("pthread_join");
    total += (unsigned long)r;
  }
  say("main tls %lu total %016lx\n", tls_val, total);
  return (int)(total & 0x7f);
}
