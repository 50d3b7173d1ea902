/* exitcode.c N: prints a line to stdout and one to stderr, then exits with status N. Deterministic. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("exiting with %d\n", code);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  fprintf(stderr, "exitcode.c: status %d\n", code);
  exit(code);
}
