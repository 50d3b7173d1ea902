/* The main thread calls execve while another thread runs: the kernel ends that thread, the exec goes on. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *a) { (void)a; for (;;) { struct timespec t = { 0, 1000000 }; nanosleep(&t, 0); } return 0; }

int main(void) {
  printf("before exec pid %d\n", getpid());
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, 0, sleeper, 0);
  struct timespec wait = { 0, 3000000 };
  nanosleep(&wait, 0);
  char *args[] = { "echo", "after-exec", 0 };
  execv("/bin/echo", args);
  return 1;
}
