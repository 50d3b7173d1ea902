/* ids.c: process ids and addresses (ASLR makes them differ between native runs). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int __attribute__((noinline)) local_function(int x) { return x * 3 + 1; }

int main(void) {
  int on_stack = 42;
  void *small = malloc(24);
  void *large = malloc(4 << 20); /* above the mmap threshold: its own mapping */
  void *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!small || !large || anon == MAP_FAILED) { printf("allocation failed\n"); return 1; }
  memset(small, 1, 24);
  memset(large, 2, 4096);
  memset(anon, 3, 8192);
  int (*volatile fn)(int) = local_function;
  int (*volatile libc_fn)(const char *) = puts;
  printf("pid %d\n", (int)getpid());
  printf("ppid %d\n", (int)getppid());
  printf("tid-equals-pid %s\n", gettid() == getpid() ? "yes" : "no");
  printf("stack %p\n", (void *)&on_stack);
  printf("malloc-small %p\n", small);
  printf("malloc-large %p\n", large);
  printf("mmap-anon %p\n", anon);
  printf("local-function %p result %d\n", (void *)(uintptr_t)fn, fn(on_stack));
  printf("libc-puts %p\n", (void *)(uintptr_t)libc_fn);
  printf("sbrk0 %p\n", sbrk(0));
  free(small);
  free(large);
  munmap(anon, 8192);
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
