/* chatty.c [LINES]: many small writes mixed with incompressible getrandom data, so its trace has
 * many events spread over several chunks. Used by the damaged-trace tests. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int lines = argc > 1 ? atoi(argv[1]) : 2000;
  unsigned char r[1024];
  for (int i = 0; i < lines; i++) {
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return 1;
    unsigned x = 0;
    for (size_t j = 0; j < sizeof r; j++) x = x * 31 + r[j];
    char line[64];
    int n = snprintf(line, sizeof line, "line %d %08x\n", i, x);
    if (write(1, line, (size_t)n) != n) return 1;
  }
  if (write(1, "EXIT-SUCCESS\n", 13) != 13) return 1;
  return 0;
}
