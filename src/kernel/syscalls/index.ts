// The syscall table: every x86-64 syscall rewind knows, joined from the family files into a dense
// lookup. Checked at module load: one entry per number, names and numbers as in syscall-names.ts.

import { SYS, SYSCALL_NR_MAX, syscallName, syscallNumber } from '../syscall-names.js';
import { EVENTS } from './events.js';
import { FILE_IO } from './file-io.js';
import { FS } from './fs.js';
import { IPC } from './ipc.js';
import { MEMORY } from './memory.js';
import { MISC } from './misc.js';
import { NET } from './net.js';
import { PROCESS } from './process.js';
import { SIGNAL } from './signal.js';
import { SYSTEM } from './system.js';
import { TIME } from './time.js';
import type { SyscallDef } from './types.js';

export type { ExecuteCtx, OutputRule, Region, SyscallCtx, SyscallDef, SyscallKind } from './types.js';

/** The family tables, by family name (docs group by these). */
export const FAMILIES: Readonly<Record<string, readonly SyscallDef[]>> = {
  'file-io': FILE_IO,
  fs: FS,
  memory: MEMORY,
  process: PROCESS,
  signal: SIGNAL,
  time: TIME,
  net: NET,
  events: EVENTS,
  ipc: IPC,
  system: SYSTEM,
  misc: MISC,
};

function build(): { dense: (SyscallDef | undefined)[]; all: SyscallDef[] } {
  const dense: (SyscallDef | undefined)[] = new Array(SYSCALL_NR_MAX + 1).fill(undefined);
  for (const [family, defs] of Object.entries(FAMILIES)) {
    for (const d of defs) {
      const expected = (SYS as Record<string, number>)[d.name];
      if (expected !== d.nr || syscallName(d.nr) !== d.name) {
        throw new Error(`syscall table (${family}): ${d.name} has nr ${d.nr}, syscall-names.ts says ${expected}`);
      }
      const prev = dense[d.nr];
      if (prev) throw new Error(`syscall table (${family}): duplicate entry for ${d.name} (${d.nr})`);
      if (d.kind !== 'emulate' && d.kind !== 'execute' && d.outputs?.length) {
        throw new Error(`syscall table (${family}): ${d.name} is ${d.kind} but has outputs`);
      }
      if (d.executesIf && d.kind !== 'emulate') throw new Error(`syscall table (${family}): ${d.name} has executesIf but is ${d.kind}`);
      if ((d.kind === 'enosys' || d.kind === 'unsupported') && !d.note) {
        throw new Error(`syscall table (${family}): ${d.name} is ${d.kind} without a note`);
      }
      dense[d.nr] = Object.freeze(d);
    }
  }
  return { dense, all: dense.filter((d): d is SyscallDef => d !== undefined) };
}

const { dense: TABLE, all } = build();

/** Every entry, by ascending number. */
export const ALL_SYSCALLS: readonly SyscallDef[] = Object.freeze(all);

/** The entry for syscall `nr`, or undefined (unknown number: treat as unsupported). */
export function syscallDef(nr: number): SyscallDef | undefined {
  return Number.isInteger(nr) && nr >= 0 ? TABLE[nr] : undefined;
}

/** Message for stopping on an 'unsupported' entry or an unknown number. */
/**
 * A number that names no x86-64 syscall (negative, between or past the table's, x32's 0x40000000 range):
 * the kernel answers it with ENOSYS, and so does rewind.
 */
export function unknownSyscall(nr: number): boolean {
  return syscallNumber(syscallName(nr)) !== nr;
}

export function unsupportedMessage(nr: number): string {
  const d = syscallDef(nr);
  const name = d?.name ?? syscallName(nr);
  return `unsupported syscall ${name} (${nr})${d?.note ? `: ${d.note}` : ': not in rewind\'s syscall table'}`;
}

export { runsOnError, ruleLabel } from './outputs.js';
