/* asyncsig.c: asynchronous signals arriving while the program computes in user space.
 *  - ITIMER_PROF fires every 5 ms of CPU time; the handler notes the loop iteration it interrupted.
 *  - SIGUSR1 is sent by another process (the test) once this program has printed its pid.
 * The loop makes a system call every 65536 iterations. Where the signals land differs between
 * native runs; replay must deliver them at the same points as the recording. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_PROF 8
static volatile uint64_t iter;
static volatile sig_atomic_t got_usr1;
static volatile uint64_t usr1_at;
static volatile int usr1_from_other;
static volatile int prof_count;
static volatile uint64_t prof_at[MAX_PROF];

static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  usr1_at = iter;
  usr1_from_other = si->si_code == SI_USER && si->si_pid != getpid();
  got_usr1 = 1;
}

static void on_prof(int sig) {
  (void)sig;
  if (prof_count < MAX_PROF) prof_at[prof_count] = iter;
  prof_count++;
}

int main(int argc, char **argv) {
  (void)argv;
  int wait_for_usr1 = argc < 2; /* any argument: do not wait for SIGUSR1 */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sa.sa_sigaction = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_prof;
  sigaction(SIGPROF, &sa, NULL);

  printf("asyncsig pid %d\n", (int)getpid());
  fflush(stdout);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  setitimer(ITIMER_PROF, &it, NULL);

  uint64_t x = 88172645463325252ULL, syscalls = 0;
  const uint64_t limit = 4000000000ULL;
  for (iter = 0; iter < limit; iter++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if ((iter & 0xffff) == 0) {
      syscall(SYS_getppid);
      syscalls++;
    }
    if ((got_usr1 || !wait_for_usr1) && prof_count >= 5) break;
  }
  uint64_t stopped_at = iter;
  struct itimerval off;
  memset(&off, 0, sizeof off);
  setitimer(ITIMER_PROF, &off, NULL);

  printf("stopped at iteration %llu after %llu syscalls, x %016llx\n", (unsigned long long)stopped_at,
         (unsigned long long)syscalls, (unsigned long long)x);
  if (got_usr1)
    printf("SIGUSR1 at iteration %llu from-other-process %s\n", (unsigned long long)usr1_at, usr1_from_other ? "yes" : "no");
  else
    printf("SIGUSR1 never came\n");
  printf("SIGPROF count %d\n", prof_count >= 5 ? 5 : prof_count);
  for (int i = 0; i < 5 && i < prof_count; i++) printf("SIGPROF %d at iteration %llu\n", i, (unsigned long long)prof_at[i]);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
