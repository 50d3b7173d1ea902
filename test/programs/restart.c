/* A default-ignored signal (SIGCHLD from a child's exit) interrupts nanosleep: the kernel restarts the
 * sleep through restart_syscall, which replay must follow. Prints the child's pid, its status, and how
 * long the sleep took. */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t c = fork();
  if (c == 0) _exit(7);
  struct timespec d = { 0, 30000000 };
  int r = nanosleep(&d, 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  int st = 0;
  waitpid(c, &st, 0);
  long slept = (long)((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec);
  printf("nanosleep %d child %d status %d slept-at-least-30ms %s slept %ld\n", r, (int)c, WEXITSTATUS(st),
         slept >= 30000000 ? "yes" : "no", slept);
  printf("EXIT-SUCCESS\n");
  return 0;
}
