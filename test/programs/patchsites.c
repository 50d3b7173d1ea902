/* patchsites.c: rdtsc, rdtscp and cpuid in the executable, in a library loaded by dlopen after
 * start-up (argv[1]), and "bait": instructions whose immediates hold the bytes of rdtsc (0f 31) and
 * cpuid (0f a2), which a byte search would patch and a decoder must not. */
#include <cpuid.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

__attribute__((noinline)) static unsigned bait_tsc(void) {
  unsigned v;
  __asm__ volatile("mov $0x00310f00, %0" : "=r"(v));
  return v;
}

__attribute__((noinline)) static unsigned bait_cpuid(void) {
  unsigned v;
  __asm__ volatile("mov $0x00a20f00, %0" : "=r"(v));
  return v;
}

__attribute__((noinline)) uint64_t read_tsc(void) {
  return __rdtsc();
}

int main(int argc, char **argv) {
  printf("bait %08x %08x\n", bait_tsc(), bait_cpuid());
  uint64_t t1 = read_tsc(), t2 = read_tsc();
  unsigned aux = 0;
  uint64_t p = __rdtscp(&aux);
  printf("exe-rdtsc %llu %llu\n", (unsigned long long)t1, (unsigned long long)t2);
  printf("exe-rdtscp %llu aux %u\n", (unsigned long long)p, aux);
  printf("tsc-order %s\n", t1 <= t2 && t2 <= p ? "ok" : "wrong");
  unsigned a, b, c, d;
  __cpuid(0, a, b, c, d);
  printf("exe-cpuid0 %08x %08x %08x %08x\n", a, b, c, d);
  if (argc > 1) {
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
      printf("dlopen failed: %s\n", dlerror());
      return 1;
    }
    uint64_t (*lib_tsc)(void) = (uint64_t (*)(void))dlsym(lib, "lib_tsc");
    unsigned (*lib_cpuid)(unsigned) = (unsigned (*)(unsigned))dlsym(lib, "lib_cpuid");
    uint64_t l1 = lib_tsc(), l2 = lib_tsc();
    printf("lib-rdtsc %llu %llu\n", (unsigned long long)l1, (unsigned long long)l2);
    printf("lib-order %s\n", p <= l1 && l1 <= l2 ? "ok" : "wrong");
    printf("lib-cpuid1 %08x\n", lib_cpuid(1));
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
