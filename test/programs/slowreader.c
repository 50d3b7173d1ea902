/* slowreader.c OUT [DELAY_MS [CHUNK]]: copies stdin to the file OUT, reading at most CHUNK bytes
 * (default 65536) every DELAY_MS milliseconds (default 300): a reader slower than the writers of a pipe,
 * so they wait for it, several at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "say.h"

int main(int argc, char **argv) {
  if (argc < 2) die("usage: slowreader OUT [DELAY_MS [CHUNK]]");
  int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) die("open");
  long delay = argc > 2 ? atol(argv[2]) : 300;
  size_t chunk = argc > 3 ? (size_t)atol(argv[3]) : 65536;
  static char buf[1 << 20];
  if (chunk > sizeof buf) chunk = sizeof buf;
  for (;;) {
    struct timespec t = {delay / 1000, (delay % 1000) * 1000000L};
    nanosleep(&t, NULL);
    ssize_t n = read(0, buf, chunk);
    if (n < 0) die("read");
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w <= 0) die("write");
      done += w;
    }
  }
  return 0;
}
