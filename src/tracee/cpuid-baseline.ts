// Traced-process model: the CPU that `rewind record --cpu-features=portable` shows the program through
// CPUID — the machine's own answers with every feature past x86-64-v3 taken away (AVX-512 in all its
// parts, AMX, and other recent extensions), so that libraries choose code paths (memcpy, string
// functions, math kernels) that any x86-64-v3 CPU (AVX2, BMI2, FMA: Intel Haswell and AMD Zen on) can
// replay. Only bits are cleared, never set: a feature the recording CPU lacks stays absent.
// Leaf 0xD (XSAVE state sizes) is left as the machine says: it must match XCR0, which the program
// reads with xgetbv (not trappable), or glibc's lazy-binding trampoline would save more state than it
// allocated. So a portable trace still assumes the replaying CPU enables the same XSAVE state (XCR0).

/** Leaf 1 ECX: bits x86-64-v3 programs may use (SSE3..SSE4.2, SSSE3, FMA, CX16, MOVBE, POPCNT, XSAVE, OSXSAVE, AVX, F16C, AES, PCLMULQDQ). */
const LEAF1_ECX_KEEP = bits(0, 1, 9, 12, 13, 19, 20, 22, 23, 25, 26, 27, 28, 29)
  | bits(31); // hypervisor present: informational
/** Leaf 7.0 EBX: FSGSBASE, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID. */
const LEAF7_EBX_KEEP = bits(0, 3, 5, 7, 8, 9, 10);
/** Leaf 7.0 ECX and EDX: nothing a baseline has (AVX-512 VBMI/VNNI/…, GFNI, VAES, VPCLMULQDQ, AMX, FSRM…). */
const LEAF7_ECX_KEEP = 0;
const LEAF7_EDX_KEEP = 0;
/** Leaf 0x80000001 ECX: LAHF/SAHF, LZCNT (ABM), PREFETCHW (EDX, the long-mode basics, stays). */
const EXT1_ECX_KEEP = bits(0, 5, 8);

function bits(...n: number[]): number {
  return n.reduce((m, b) => (m | (1 << b)) >>> 0, 0);
}

/** Masks one CPUID answer (eax, ebx, ecx, edx in out) to the portable baseline. */
export function maskToBaseline(leaf: number, sub: number, out: Uint32Array): void {
  if (leaf === 1) {
    out[2] = out[2]! & LEAF1_ECX_KEEP;
  } else if (leaf === 7) {
    if (sub === 0) {
      out[0] = 0; // no further subleaves
      out[1] = out[1]! & LEAF7_EBX_KEEP;
      out[2] = out[2]! & LEAF7_ECX_KEEP;
      out[3] = out[3]! & LEAF7_EDX_KEEP;
    } else {
      out.fill(0);
    }
  } else if (leaf === 0x80000001) {
    out[2] = out[2]! & EXT1_ECX_KEEP;
  } else if (leaf === 0x14 || leaf === 0x19 || leaf === 0x1d || leaf === 0x1e || leaf === 0x24) {
    out.fill(0); // processor trace, key locker, AMX tiles, AVX10
  }
}
