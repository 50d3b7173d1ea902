/* slicecalls.c: two threads compute, each making a system call the buffer takes (getppid) about every
 * half millisecond of work. When a thread's time slice is used up, the recorder switches threads at its
 * next such call (traced then) rather than interrupting it wherever it is. Prints both results. */
#include <pthread.h>
#include "say.h"

static volatile unsigned long out[2];

static void *work(void *arg) {
  unsigned long id = (unsigned long)arg, x = id + 1;
  for (int r = 0; r < 600; r++) {
    for (unsigned long i = 0; i < 300000UL; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    x += (unsigned long)getppid() * 0;
  }
  out[id] = x;
  return 0;
}

int main(void) {
  pthread_t t[2];
  for (unsigned long i = 0; i < 2; i++)
    if (pthread_create(&t[i], 0, work, (void *)i) != 0) die("pthread_create");
  for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
  say("results %lu %lu\n", out[0], out[1]);
  say("EXIT-SUCCESS\n");
  return 0;
}
