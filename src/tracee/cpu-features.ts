// Traced-process model: CPU features the tracer depends on, read once from /proc/cpuinfo.
import { readFileSync } from 'node:fs';

let flags: Set<string> | null = null;

function cpuFlags(): Set<string> {
  if (!flags) {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
  }
  return flags;
}

/** Whether /proc/cpuinfo lists flag (the kernel drops features it does not enable, e.g. avx512f without XSAVE support). */
export function hasCpuFlag(flag: string): boolean {
  return cpuFlags().has(flag);
}
