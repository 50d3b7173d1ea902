/* cpuidcalls.c: asks CPUID, through cpuidlib.so (argv[1], dlopen'd), every leaf up to two past the
 * last with subleaves 0 to 4, leaf 0xD's 64 subleaves, the extended leaves, a leaf with a stray
 * subleaf, the hypervisor's leaf; prints each answer and what a probe found changed (cpuidlib.c), then
 * asks leaf 0 `repeat` more times (argv[2]). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int probe_fn(uint32_t leaf, uint32_t sub, uint32_t out[4]);
static probe_fn *probe;
static int clobbered;

static uint32_t ask(uint32_t leaf, uint32_t sub) {
  uint32_t r[4];
  clobbered |= probe(leaf, sub, r);
  printf("%x.%x %08x %08x %08x %08x\n", leaf, sub, r[0], r[1], r[2], r[3]);
  return r[0];
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  probe = (probe_fn *)dlsym(lib, "cpuid_probe");
  if (!probe) return 1;
  uint32_t max = ask(0, 0);
  for (uint32_t l = 0; l <= max + 2; l++)
    for (uint32_t s = 0; s < 5; s++) ask(l, s);
  for (uint32_t s = 0; s < 64; s++) ask(0xd, s);
  uint32_t emax = ask(0x80000000, 0);
  for (uint32_t l = 0x80000000; l <= emax + 1 && l < 0x80000040; l++) ask(l, 0);
  ask(1, 0x12345678);
  ask(0x40000000, 0);
  int repeat = argc > 2 ? atoi(argv[2]) : 0;
  uint32_t r[4];
  for (int i = 0; i < repeat; i++) clobbered |= probe(0, 0, r);
  printf("clobbered %d\n", clobbered);
  printf("EXIT-SUCCESS\n");
  return 0;
}
