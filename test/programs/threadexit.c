/* The main thread returns (exit_group) while another thread is still alive: blocked in read, sleeping
 * in a loop, or spinning with no syscall (argv[1]: block, sleep or spin). Exits with status 4. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *blocker(void *a) { (void)a; char c; int p[2]; if (pipe(p) == 0) (void)read(p[0], &c, 1); return 0; }
static void *sleeper(void *a) { (void)a; for (;;) { struct timespec t = { 0, 1000000 }; nanosleep(&t, 0); } return 0; }
static void *spinner(void *a) { (void)a; volatile int x = 0; for (;;) x = x; return 0; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "block";
  void *(*fn)(void *) = strcmp(mode, "spin") == 0 ? spinner : strcmp(mode, "sleep") == 0 ? sleeper : blocker;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("pid %d mode %s time %ld\n", getpid(), mode, (long)now.tv_nsec);
  pthread_t t;
  pthread_create(&t, 0, fn, 0);
  struct timespec wait = { 0, 5000000 };
  nanosleep(&wait, 0);
  printf("EXIT-SUCCESS\n");
  return 4;
}
