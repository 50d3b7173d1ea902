/* Helpers shared by the C test programs: write a formatted line with one write(2) (atomic for lines
 * under PIPE_BUF, so lines from several threads or processes never interleave), read a clock, and fail. */
#ifndef REWIND_TEST_SAY_H
#define REWIND_TEST_SAY_H
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2), unused)) static void say(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
  if (write(1, buf, (size_t)n) != n) _exit(3);
}

__attribute__((unused)) static long long clock_ns(clockid_t clk) {
  struct timespec t;
  clock_gettime(clk, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
/* Reports a failed call with errno and ends the program with status 1. */
__attribute__((unused, noreturn)) static void die(const char *what) {
  say("FAILED %s: %s\n", what, strerror(errno));
  _exit(1);
}
#endif
