/* syscallwatch.c FILE: memory a system call writes, for watchpoints. Sets got[0] to '-', reads FILE
 * into got (read(2): buffered or traced), then sets got[0] to '+'; stats FILE into st (fstat(2)) and
 * prints what it saw. A debugger's `watch got[0]` must stop after the read as after the program's own
 * writes, and `watch st.st_size` after the fstat, forwards and backwards. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "say.h"

char got[8192];
struct stat st;

int main(int argc, char **argv) {
  if (argc < 2) {
    say("usage: syscallwatch FILE\n");
    return 2;
  }
  got[0] = '-';
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  long n = read(fd, got, sizeof got - 1);
  say("read %ld first %c\n", n, got[0]);
  got[0] = '+';
  if (fstat(fd, &st) != 0) return 4;
  say("size %ld first %c\n", (long)st.st_size, got[0]);
  close(fd);
  return 0;
}
