/* sharedlib-main.c: calls shared_mix from libmix.so (sharedlib.c) once, with a seed from the clock,
 * and prints both. */
#include "say.h"

int shared_mix(int x);

int main(void) {
  int seed = (int)(clock_ns(CLOCK_REALTIME) % 1000);
  say("mix %d -> %d\n", seed, shared_mix(seed));
  return 0;
}
