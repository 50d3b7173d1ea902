// The irregular syscalls the engines reach by number through one lookup, never by naming them: each
// file of src/syscalls whose call has a half to run at the call's exit at record, or in place of the
// real call at replay, exports its entries by kernel name (`IrregularCalls`), joined here. The engines
// ask `irregularCall(nr)` and call what it holds. exec and clone are not here: they change the set of
// tasks, and each engine's loop calls them itself (`isExec`, `createsTask`).
import { SYS, type SyscallName } from '../kernel/syscall-names.js';
import type { SyscallEvent } from '../trace/events.js';
import type { Task } from '../tracee/task.js';
import type { FileStore } from '../record/file-store.js';
import type { SharedFiles } from '../record/shared-files.js';
import type { SharedBackings } from '../replay/shared-backings.js';
import { MMAP_CALLS, NO_MAPPING, type RecordedMapping } from './mmap.js';
import { SHM_CALLS } from './shm.js';

/** What a record half gets at the call's exit stop. */
export interface RecordExit {
  task: Task;
  /** The six argument registers at entry. */
  args: readonly bigint[];
  result: bigint;
  files: FileStore;
  shared: SharedFiles;
}

/** What a replay half gets at the call's seccomp stop (entry), to run in place of the call. */
export interface ReplayInPlace {
  task: Task;
  ev: SyscallEvent;
  /** The registers at entry (the recorded ones, checked). */
  entry: BigUint64Array;
  filesDir: string;
  backings: SharedBackings;
  diverge: (message: string) => Error;
}

export interface IrregularCall {
  /** Record, at the exit stop: what the event carries about the file the call mapped (or none). */
  recordExit?: (c: RecordExit) => RecordedMapping;
  /**
   * Replay of an executed call: does what the call did in its place, leaving the task at its exit stop
   * with the recorded result, and returns true; false leaves the event to run for real as any other.
   */
  replay?: (c: ReplayInPlace) => boolean;
  /**
   * Replay of a call that runs for real: changes the entry registers `regs` so that it acts as recorded,
   * and returns the registers changed (the engine stores them, and gives the program its own back at
   * the exit); empty when nothing changed.
   */
  runsAsRecorded?: (regs: BigUint64Array, ev: SyscallEvent) => readonly number[];
}

/** One file's irregular calls, by kernel name. */
export type IrregularCalls = Partial<Record<SyscallName, IrregularCall>>;

const BY_NR = new Map<number, IrregularCall>();
for (const calls of [MMAP_CALLS, SHM_CALLS]) {
  for (const [name, call] of Object.entries(calls) as [SyscallName, IrregularCall][]) {
    if (BY_NR.has(SYS[name])) throw new Error(`irregular syscalls: ${name} has two homes`);
    BY_NR.set(SYS[name], call);
  }
}

/** The halves of syscall nr the engines call, or undefined for a call the table alone describes. */
export function irregularCall(nr: number): IrregularCall | undefined {
  return BY_NR.get(nr);
}

export { NO_MAPPING };
