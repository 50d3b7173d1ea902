/* Four threads append numbered lines to one file opened with O_APPEND, each sleeping a random 0-2 ms
 * (nanosleep or usleep) between writes. At the end the file must hold every line exactly once. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "say.h"

#define THREADS 4
#define LINES 40
static char path[256];

static void *appender(void *arg) {
  long id = (long)arg;
  unsigned seed = (unsigned)clock_ns(CLOCK_MONOTONIC) ^ (unsigned)(id * 7919);
  int fd = open(path, O_WRONLY | O_APPEND);
  if (fd < 0) die("open");
  for (int i = 0; i < LINES; i++) {
    char line[32];
    int n = snprintf(line, sizeof line, "t%ld-%03d\n", id, i);
    if (write(fd, line, (size_t)n) != n) die("write");
    long us = rand_r(&seed) % 2001;
    if (i % 2) {
      struct timespec ts = { 0, us * 1000 };
      nanosleep(&ts, NULL);
    } else {
      usleep((useconds_t)us);
    }
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  snprintf(path, sizeof path, "%s/appendsleep-%d.txt", argc > 1 ? argv[1] : "/tmp", getpid());
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0) die("create");
  close(fd);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, appender, (void *)i) != 0) die("pthread_create");
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  struct stat st;
  if (stat(path, &st) != 0) die("stat");
  FILE *f = fopen(path, "r");
  if (!f) die("fopen");
  int seen[THREADS][LINES] = { { 0 } };
  int lines = 0, bad = 0, order_ok = 1, last[THREADS];
  for (int i = 0; i < THREADS; i++) last[i] = -1;
  char buf[64];
  while (fgets(buf, sizeof buf, f)) {
    int id, n;
    if (sscanf(buf, "t%d-%d", &id, &n) != 2 || id < 0 || id >= THREADS || n < 0 || n >= LINES) { bad++; continue; }
    seen[id][n]++;
    if (n != last[id] + 1) order_ok = 0;
    last[id] = n;
    lines++;
  }
  fclose(f);
  unlink(path);
  int once = 1;
  for (int i = 0; i < THREADS; i++)
    for (int j = 0; j < LINES; j++) once &= seen[i][j] == 1;
  say("file-size %lld lines %d bad %d each-once %s per-thread-order %s\n", (long long)st.st_size, lines, bad, once ? "yes" : "no",
      order_ok ? "yes" : "no");
  say("pid %d\n", getpid());
  say("EXIT-SUCCESS\n");
  return 0;
}
