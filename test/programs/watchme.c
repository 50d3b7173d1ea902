/* watchme.c: targets for watchpoints. Each pass of the loop writes a stack variable (`local`), a heap
 * word (`heap[3]`), reads the heap word in reader() without writing it, and adds to five globals; a
 * write that leaves a value unchanged comes last (`same`). Every line it prints holds the values, so a
 * test can check what gdb shows against the recorded run. The comments in capitals mark lines the
 * tests look for. */
#include <stdlib.h>
#include "say.h"

long g1, g2, g3, g4, g5;
volatile long same = 5;

__attribute__((noinline)) long reader(volatile long *p) {
  return *p + 1; /* READ */
}

int main(void) {
  volatile long local = 0;
  volatile long *heap = malloc(8 * sizeof(long));
  heap[3] = 0;
  long seed = (long)(clock_ns(CLOCK_REALTIME) % 100);
  for (long i = 1; i <= 3; i++) {
    local = local + seed + i; /* LOCAL */
    heap[3] = local * 10;     /* HEAP */
    long r = reader(&heap[3]);
    g1 += i; /* G1 */
    g2 += i; /* G2 */
    g3 += i; /* G3 */
    g4 += i; /* G4 */
    g5 += i; /* G5 */
    say("pass %ld local %ld heap %ld read %ld g %ld\n", i, local, heap[3], r, g5);
  }
  same = 5; /* SAME */
  say("done\n");
  return 0;
}
