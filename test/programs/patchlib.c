/* patchlib.c: a shared library with rdtsc and cpuid, for patchsites.c to dlopen after start-up. */
#include <cpuid.h>
#include <stdint.h>
#include <x86intrin.h>

uint64_t lib_tsc(void) {
  return __rdtsc();
}

unsigned lib_cpuid(unsigned leaf) {
  unsigned a, b, c, d;
  __cpuid(leaf, a, b, c, d);
  return a ^ b ^ c ^ d;
}
