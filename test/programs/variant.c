/* variant.c: two different programs from one source (-DVARIANT=1 or 2), used to replace a recorded
 * executable after recording. Each prints which variant it is and some random bytes. */
#include <stdio.h>
#include <sys/random.h>

#ifndef VARIANT
#define VARIANT 1
#endif

int main(void) {
  unsigned char r[8];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return 1;
  printf("variant %d random ", VARIANT);
  for (int i = 0; i < 8; i++) printf("%02x", r[i]);
  printf("\n");
#if VARIANT == 2
  printf("this line exists only in variant 2\n");
#endif
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return VARIANT == 1 ? 0 : 2;
}
