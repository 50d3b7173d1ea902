/* Two threads copying 64 MiB with `rep movsb` over and over, no syscalls between copies: the recorder
   preempts them, most often halfway through a copy (points-preempt.test). Prints a checksum of each
   thread's destination. */
#include <pthread.h>
#include <stdlib.h>
#include "say.h"

#define SIZE (64u << 20)
#define ROUNDS 12

static void *work(void *arg) {
  unsigned char *src = malloc(SIZE), *dst = malloc(SIZE);
  unsigned seed = (unsigned)(unsigned long)arg;
  for (unsigned i = 0; i < SIZE; i += 4096) src[i] = (unsigned char)(seed + i / 4096);
  unsigned long sum = 0;
  for (int r = 0; r < ROUNDS; r++) {
    void *d = dst, *s = src;
    unsigned long n = SIZE;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    src[(unsigned)r * 4096] ^= 0x5a;
    sum = sum * 31 + dst[(unsigned)r * 4096];
  }
  free(src);
  free(dst);
  return (void *)sum;
}

int main(void) {
  pthread_t t;
  void *a, *b;
  pthread_create(&t, 0, work, (void *)1ul);
  b = work((void *)2ul);
  pthread_join(t, &a);
  say("sums %lu %lu\n", (unsigned long)a, (unsigned long)b);
  say("EXIT-SUCCESS\n");
  return 0;
}
