/* regvalues.c: loads known values into the FPU and vector registers, then stops at an int3 so a
 * tracer (or gdb) can read them. argv[1] picks the widest instructions used: sse, avx or avx512.
 *   x87: fninit; push 1.5, 0.0, -2.25 (st0 = -2.25, st1 = 0, st2 = 1.5; ftag 0x13ff); mxcsr = 0x9f80.
 *   Vector register r in {0, 15, 16, 31} gets bytes pattern(r, j) = r*7 + j*3 + 1 (mod 256), j < 64,
 *   loaded as wide as the level allows (xmm0/xmm15; ymm0/ymm15; zmm0/zmm15/zmm16/zmm31).
 *   avx512 also sets k1 = 0x5a5a and k7 = 0xf00d. */
#include <stdint.h>
#include <string.h>

static uint8_t pat[4][64] __attribute__((aligned(64)));
static const double one_and_half = 1.5, minus_two_and_quarter = -2.25;
static const uint32_t mxcsr_value = 0x9f80;

#define X87 "ldmxcsr %[mx]\n fninit\n fldl %[a]\n fldz\n fldl %[b]\n"
#define X87_IN [mx] "m"(mxcsr_value), [a] "m"(one_and_half), [b] "m"(minus_two_and_quarter)

int main(int argc, char **argv) {
  static const int ids[4] = {0, 15, 16, 31};
  for (int r = 0; r < 4; r++)
    for (int j = 0; j < 64; j++) pat[r][j] = (uint8_t)(ids[r] * 7 + j * 3 + 1);
  int level = argc < 2 ? 0 : !strcmp(argv[1], "avx512") ? 2 : !strcmp(argv[1], "avx") ? 1 : 0;
  if (level == 2) {
    __asm__ volatile(X87
                     "vmovdqu64 %[p0], %%zmm0\n vmovdqu64 %[p1], %%zmm15\n"
                     "vmovdqu64 %[p2], %%zmm16\n vmovdqu64 %[p3], %%zmm31\n"
                     "movl $0x5a5a, %%eax\n kmovw %%eax, %%k1\n movl $0xf00d, %%eax\n kmovw %%eax, %%k7\n"
                     "int3\n"
                     : : X87_IN, [p0] "m"(pat[0]), [p1] "m"(pat[1]), [p2] "m"(pat[2]), [p3] "m"(pat[3])
                     : "eax", "xmm0", "xmm15", "memory");
  } else if (level == 1) {
    __asm__ volatile(X87 "vmovdqu %[p0], %%ymm0\n vmovdqu %[p1], %%ymm15\n int3\n"
                     : : X87_IN, [p0] "m"(pat[0]), [p1] "m"(pat[1]) : "xmm0", "xmm15", "memory");
  } else {
    __asm__ volatile(X87 "movdqu %[p0], %%xmm0\n movdqu %[p1], %%xmm15\n int3\n"
                     : : X87_IN, [p0] "m"(pat[0]), [p1] "m"(pat[1]) : "xmm0", "xmm15", "memory");
  }
  return 0;
}
