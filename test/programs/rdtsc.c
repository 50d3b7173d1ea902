/* rdtsc.c: time-stamp counter readings and CPUID results. */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

int main(void) {
  uint64_t t[4];
  for (int i = 0; i < 4; i++) t[i] = __rdtsc();
  for (int i = 0; i < 4; i++) printf("rdtsc %d %llu\n", i, (unsigned long long)t[i]);
  for (int i = 1; i < 4; i++) printf("rdtsc-delta %d %llu\n", i, (unsigned long long)(t[i] - t[i - 1]));
  unsigned aux1 = 0, aux2 = 0;
  uint64_t p1 = __rdtscp(&aux1);
  uint64_t p2 = __rdtscp(&aux2);
  printf("rdtscp %llu aux %u\n", (unsigned long long)p1, aux1);
  printf("rdtscp %llu aux %u\n", (unsigned long long)p2, aux2);
  printf("rdtscp-delta %llu\n", (unsigned long long)(p2 - p1));
  printf("rdtsc-nondecreasing %s\n", (t[1] >= t[0] && t[2] >= t[1] && t[3] >= t[2] && p2 >= p1) ? "yes" : "no");

  unsigned a, b, c, d;
  __cpuid(0, a, b, c, d);
  char vendor[13];
  memcpy(vendor, &b, 4);
  memcpy(vendor + 4, &d, 4);
  memcpy(vendor + 8, &c, 4);
  vendor[12] = 0;
  printf("cpuid0 max-leaf %u vendor %s\n", a, vendor);
  __cpuid(1, a, b, c, d);
  printf("cpuid1 eax %08x ecx %08x edx %08x\n", a, c, d);
  printf("rdrand-advertised %s\n", (c & (1u << 30)) ? "yes" : "no");
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
