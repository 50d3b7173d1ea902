// Traced-process model: whether a process has a handler for a signal (SigCgt in /proc/PID/status),
// i.e. whether delivering it writes a signal frame into the process's memory.
import { readFileSync } from 'node:fs';

export function hasHandler(pid: number, signo: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(text);
  return m !== null && ((BigInt('0x' + m[1]) >> BigInt(signo - 1)) & 1n) === 1n;
}
