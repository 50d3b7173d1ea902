/* jitspin.c: like spincount.c's flag mode, but main spins in code it writes itself, as a JIT does: at
 * every pass it copies a chain of square roots into a writable and executable page at a fixed
 * address (JIT_PAGE) and calls it. So a one-task-at-a-time recorder preempts main, mostly inside that
 * page, at a point a replay must find while the program keeps rewriting the bytes there (an int3 put
 * at the point is overwritten before it runs). The worker waits until main has started, then works a
 * millisecond or two and sets the flag; what is printed depends on timing (the passes main made). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "say.h"

#define JIT_PAGE ((void *)0x3a000000)
#define SQRTS 3000
#define CODE_LEN (5 + SQRTS * 4 + 1)

static atomic_int flag;
static atomic_int started;
static volatile long passes;
static unsigned char code[CODE_LEN];

static void *worker(void *arg) {
  (void)arg;
  while (!atomic_load(&started)) {
  }
  unsigned long long x = 88172645463325252ULL;
  for (int i = 0; i < 1000000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  say("worker result %llu\n", x);
  atomic_store(&flag, 1);
  return NULL;
}

int main(void) {
  /* mov $3,%eax, then sqrtsd %xmm0,%xmm0 SQRTS times (some 18 cycles each: the pass is spent
   * here, not in the copy), ret */
  unsigned char *p = code;
  *p++ = 0xb8; *p++ = 3; *p++ = 0; *p++ = 0; *p++ = 0;
  for (int i = 0; i < SQRTS; i++) { *p++ = 0xf2; *p++ = 0x0f; *p++ = 0x51; *p++ = 0xc0; }
  *p++ = 0xc3;
  void *page = mmap(JIT_PAGE, (CODE_LEN + 4095) & ~4095, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (page != JIT_PAGE) {
    say("FAILED mmap of the code page\n");
    return 1;
  }
  pthread_t t;
  int rc = pthread_create(&t, NULL, worker, NULL);
  if (rc != 0) {
    say("FAILED pthread_create: %s\n", strerror(rc));
    return 1;
  }
  atomic_store(&started, 1);
  while (!atomic_load(&flag)) {
    memcpy(page, code, sizeof code);
    ((void (*)(void))page)();
    passes++;
  }
  pthread_join(t, NULL);
  say("passes %ld\n", passes);
  say("EXIT-SUCCESS\n");
  return 0;
}
