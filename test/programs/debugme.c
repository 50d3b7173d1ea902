/* debugme.c: a program to debug a replay of with gdb. Its input is the clock (so two runs differ);
 * it calls compute() five times, adding to a global, and prints each step. With the argument
 * "crash", scribble() overwrites the global pointer `slot` with a bad value and the last step
 * writes through it: SIGSEGV. The comments in capitals mark lines the tests look for. */
#include <stdlib.h>
#include <string.h>
#include "say.h"

int counter;
int storage;
int *slot = &storage;

__attribute__((noinline)) static int compute(int x) {
  int y = x * 3; /* COMPUTE-FIRST */
  y += 1;        /* COMPUTE-SECOND */
  return y;      /* COMPUTE-RETURN */
}

__attribute__((noinline)) static void scribble(int seed) {
  slot = (int *)(long)(seed | 1); /* SCRIBBLE */
}

int main(int argc, char **argv) {
  int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
  int seed = (int)(clock_ns(CLOCK_REALTIME) % 1000);
  for (int i = 0; i < 5; i++) {
    int v = compute(seed + i); /* CALL */
    counter += v;              /* ADD */
    say("step %d x %d value %d counter %d\n", i, seed + i, v, counter);
    if (crash && i == 2) scribble(seed);
    *slot = counter; /* STORE */
  }
  say("done counter %d\n", counter);
  return 0;
}
