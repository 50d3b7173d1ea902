/* execthread.c MODE: a thread that is not the main one calls execve while the main thread waits in
 * pause() and a third thread sleeps in a loop. The kernel ends the other threads and the exec'ing
 * thread takes over the main thread's tid.
 *   echo  the thread execs /bin/echo;
 *   self  the thread execs this program again with the argument "child", which prints its pid, its tid
 *         (now the old main thread's) and the time, and exits with status 7.
 * Pids and times differ between native runs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "say.h"

static const char *mode;

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec t = { 0, 1000000 };
    nanosleep(&t, 0);
  }
  return 0;
}

static void *execer(void *arg) {
  (void)arg;
  struct timespec wait = { 0, 3000000 };
  nanosleep(&wait, 0);
  say("thread execs: is-main %s\n", gettid() == getpid() ? "yes" : "no");
  if (strcmp(mode, "echo") == 0) execl("/bin/echo", "echo", "after-exec", "from-a-thread", (char *)0);
  else execl("/proc/self/exe", "execthread", "child", (char *)0);
  die("execl");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    say("child pid %d tid-is-pid %s time %lld\n", getpid(), gettid() == getpid() ? "yes" : "no", clock_ns(CLOCK_REALTIME));
    say("EXIT-SUCCESS\n");
    return 7;
  }
  mode = argc > 1 ? argv[1] : "echo";
  say("main pid %d time %lld\n", getpid(), clock_ns(CLOCK_REALTIME));
  pthread_t s, e;
  if (pthread_create(&s, 0, sleeper, 0) != 0 || pthread_create(&e, 0, execer, 0) != 0) die("pthread_create");
  for (;;) pause();
}
