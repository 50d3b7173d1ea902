/* perfcount.c [mmap|private|async]: counts its own task-clock, context switches and page faults with perf_event_open
 * (software events), reads them (plain and with PERF_FORMAT_ID/TOTAL_TIME_*), uses the ioctls
 * ENABLE/DISABLE/RESET/ID, and asks for a hardware event (the kernel's own answer: a count, or an
 * error such as ENOENT in a VM without a PMU). Prints what it read; replay must print the same.
 * With `mmap` it maps the task-clock event's ring buffer, with `async` it asks for O_ASYNC signals from
 * it: both are what rewind refuses (natively they work: the program says so and goes on). With
 * `private` it maps the fd privately, which the kernel refuses (EINVAL): recorded like any failure. */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "say.h"

static int open_event(uint32_t type, uint64_t config, uint64_t read_format, int exclude_kernel) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = type;
  a.config = config;
  a.disabled = 1;
  a.exclude_kernel = exclude_kernel ? 1 : 0;
  a.exclude_hv = 1;
  a.read_format = read_format;
  return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static volatile unsigned long sink;

static void burn(long n) {
  for (long i = 0; i < n; i++) sink += (unsigned long)i * 7;
}

int main(int argc, char **argv) {
  int clk = open_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, 1);
  if (clk < 0) die("perf_event_open task-clock");
  if (argc > 1 && strcmp(argv[1], "mmap") == 0) {
    void *ring = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, clk, 0);
    if (ring == MAP_FAILED) die("mmap of the ring buffer");
    say("ring-buffer mapped\n");
  }
  if (argc > 1 && strcmp(argv[1], "private") == 0) {
    void *ring = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, clk, 0);
    say("private mapping of the ring buffer: %s\n", ring == MAP_FAILED ? strerror(errno) : "mapped");
  }
  if (argc > 1 && strcmp(argv[1], "async") == 0) {
    if (fcntl(clk, F_SETFL, O_ASYNC) != 0) die("F_SETFL O_ASYNC");
    say("async set\n");
  }
  /* Context switches happen in the kernel: counted with exclude_kernel clear where that is allowed
   * (perf_event_paranoid < 2 or privileged), else with it set (then they count 0). */
  uint64_t fmt = PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  int cs = open_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, fmt, 0);
  if (cs < 0 && errno == EACCES) cs = open_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, fmt, 1);
  if (cs < 0) die("perf_event_open context-switches");
  int pf = open_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, 1);
  if (pf < 0) die("perf_event_open page-faults");
  uint64_t id = 0;
  if (ioctl(cs, PERF_EVENT_IOC_ID, &id) != 0) die("PERF_EVENT_IOC_ID");
  for (int fd = clk; fd <= pf; fd++) {
    if (ioctl(fd, PERF_EVENT_IOC_RESET, 0) != 0) die("RESET");
    if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) die("ENABLE");
  }
  for (int round = 0; round < 3; round++) {
    burn(2000000);
    char *p = malloc(1 << 20);
    if (p == NULL) die("malloc");
    for (int i = 0; i < (1 << 20); i += 4096) p[i] = (char)i;
    free(p);
    sched_yield();
    usleep(2000);
    uint64_t c = 0, f = 0, v[4] = {0};
    if (read(clk, &c, sizeof c) != sizeof c) die("read task-clock");
    if (read(cs, v, sizeof v) != (ssize_t)sizeof v) die("read context-switches");
    if (read(pf, &f, sizeof f) != sizeof f) die("read page-faults");
    say("round %d task-clock-ns %llu context-switches %llu enabled %llu running %llu id-matches %s page-faults %llu\n", round,
        (unsigned long long)c, (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
        v[3] == id ? "yes" : "no", (unsigned long long)f);
  }
  if (ioctl(clk, PERF_EVENT_IOC_DISABLE, 0) != 0) die("DISABLE");
  uint64_t a = 0, b = 0;
  if (read(clk, &a, sizeof a) != sizeof a) die("read");
  burn(1000000);
  if (read(clk, &b, sizeof b) != sizeof b) die("read");
  say("disabled-stays %s\n", a == b ? "yes" : "no");
  int hw = open_event(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, 1);
  if (hw < 0) say("hardware-event errno %d (%s)\n", errno, strerror(errno));
  else say("hardware-event opened\n");
  close(clk);
  close(cs);
  close(pf);
  say("EXIT-SUCCESS\n");
  return 0;
}
