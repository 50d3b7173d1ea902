/* pagewatch.c: what software watchpoints (page protection) must survive. A stack variable `local` is
 * written each pass while a SIGUSR1 handler runs on the same stack (its frame is written by the kernel
 * onto the watched page), a word in an mmap'd page is written each pass and the program itself
 * mprotects that page read-only and back, and reads it through a read(2) of /dev/zero into the page
 * (an emulated syscall writing a watched page). It hands the addresses over at an int3-free marker:
 * the global `where` holds &local and the page. Prints each pass's values. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include "say.h"

volatile int handled;
volatile long *where[2];

static void on_usr1(int s) {
  (void)s;
  handled++; /* HANDLER */
}

__attribute__((noinline)) void ready(void) {
  __asm__ volatile("" ::: "memory");
}

int main(void) {
  volatile long local = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  long *pg = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pg == MAP_FAILED) die("mmap");
  int zero = open("/dev/zero", O_RDONLY);
  if (zero < 0) die("open");
  where[0] = &local;
  where[1] = pg + 10;
  ready();
  for (int i = 0; i < 4; i++) {
    local = local + i + 1; /* LOCAL */
    kill(getpid(), SIGUSR1);
    pg[10] = local * 100; /* PAGE */
    if (i == 1) {
      if (mprotect(pg, 8192, PROT_READ) != 0) die("mprotect ro");
      if (mprotect(pg, 8192, PROT_READ | PROT_WRITE) != 0) die("mprotect rw");
    }
    if (i == 2 && read(zero, pg + 20, 16) != 16) die("read");
    say("pass %d local %ld page %ld handled %d\n", i, (long)local, pg[10], handled);
  }
  return 0;
}
