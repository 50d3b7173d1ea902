/* sysinfo.c: system and process information calls: uname, sysinfo, getrusage, times, prlimit,
 * getcwd, readlink(/proc/self/exe), and /proc/uptime. Free memory, uptime and CPU times differ
 * between native runs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  printf("pid %d\n", (int)getpid());
  struct utsname u;
  if (uname(&u) != 0) return 1;
  printf("uname %s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);

  struct sysinfo si;
  if (sysinfo(&si) != 0) return 1;
  printf("sysinfo uptime %ld freeram %lu procs %u loads %lu %lu %lu\n", si.uptime, si.freeram, (unsigned)si.procs,
         si.loads[0], si.loads[1], si.loads[2]);

  /* Burn a little CPU so the usage counters move. */
  volatile unsigned long spin = 0;
  for (unsigned long i = 0; i < 20000000UL; i++) spin += i;

  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 1;
  printf("rusage utime %ld.%06ld stime %ld.%06ld maxrss %ld minflt %ld\n", (long)ru.ru_utime.tv_sec,
         (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss, ru.ru_minflt);

  struct tms tm;
  clock_t ticks = times(&tm);
  printf("times ticks %ld utime %ld stime %ld\n", (long)ticks, (long)tm.tms_utime, (long)tm.tms_stime);

  struct rlimit rl;
  if (prlimit(0, RLIMIT_NOFILE, NULL, &rl) != 0) return 1;
  printf("prlimit nofile %llu %llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  if (getrlimit(RLIMIT_STACK, &rl) != 0) return 1;
  printf("getrlimit stack %llu\n", (unsigned long long)rl.rlim_cur);

  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return 1;
  printf("cwd %s\n", cwd);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) return 1;
  exe[n] = 0;
  printf("exe %s\n", exe);

  char up[128];
  int fd = open("/proc/uptime", O_RDONLY);
  n = fd >= 0 ? read(fd, up, sizeof up - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return 1;
  up[n] = 0;
  printf("proc-uptime %s", up);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
