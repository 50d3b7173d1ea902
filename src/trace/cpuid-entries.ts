// Trace layer: how meta.json keeps the table of CPUID answers of a recording whose cpuid sites were
// patched to the in-process CPUID (src/tracee/cpuid-table.ts builds it; format 12 on).

export interface CpuidEntry {
  leaf: number;
  /** The subleaf, or null when the answer is the same for every ECX. */
  sub: number | null;
  /** eax, ebx, ecx, edx. */
  out: [number, number, number, number];
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** One entry as meta.json keeps it: `leaf[.subleaf] eax ebx ecx edx`, in hex ("7.0 00000001 …"). */
export function formatCpuidEntry(e: CpuidEntry): string {
  return `${e.leaf.toString(16)}${e.sub === null ? '' : `.${e.sub.toString(16)}`} ${e.out.map(hex8).join(' ')}`;
}

const ENTRY_TEXT = /^([0-9a-f]{1,8})(?:\.([0-9a-f]{1,8}))? ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})$/;

/** An entry of meta.json's table, or null when it is not one. */
export function parseCpuidEntry(text: string): CpuidEntry | null {
  const m = ENTRY_TEXT.exec(text);
  if (!m) return null;
  const n = (s: string): number => parseInt(s, 16);
  return { leaf: n(m[1]!), sub: m[2] === undefined ? null : n(m[2]), out: [n(m[3]!), n(m[4]!), n(m[5]!), n(m[6]!)] };
}
