// Traced-process model: the tracee's address space as /proc/PID/maps shows it.
import { readFileSync } from 'node:fs';

export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  /** The device, as maps shows it (major:minor in hex). */
  dev: string;
  inode: number;
  /** File path, or a pseudo name like [stack], [vdso]; '' for anonymous memory. */
  name: string;
}

export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3]!,
      offset: BigInt('0x' + m[4]), dev: m[5]!, inode: Number(m[6]), name: m[7]!,
    });
  }
  return out;
}

export function readMaps(pid: number): Mapping[] {
  return parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

export function findMapping(maps: Mapping[], name: string): Mapping | undefined {
  return maps.find((m) => m.name === name);
}

/** The /proc path that opens the file behind a mapping, even if it was deleted or replaced. */
export function mapFilesPath(pid: number, m: Mapping): string {
  return `/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`;
}
