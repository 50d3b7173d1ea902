// Irregular syscalls: shmat(2) and shmdt(2), System V shared memory. A segment is memory shared like a
// file mapped MAP_SHARED (the kernel backs it with a file of its internal shm mount), so it is followed
// the same way: recording runs shmat for real and keeps a copy of the segment as it was when attached,
// found through the mapping (/proc/TID/map_files/); replay maps the segment's shared backing
// (shared-backings.ts, one memory file per recorded segment) at the recorded address, MAP_SHARED, so
// every attachment of the segment, in any replayed process, and forked children's inherited ones alias
// each other as they did. shmget and shmctl are emulated (the table): replay makes no segment. shmdt at
// replay unmaps the backing mapped at its address.
import { MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE, SHM_EXEC, SHM_RDONLY } from '../kernel/mman.js';
import { SYSCALL_ARG_REGS } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { SyscallEvent } from '../trace/events.js';
import { TraceeError } from '../tracee/errors.js';
import { injectSyscall, setExitRegs, skipToExit } from '../tracee/inject.js';
import { readMaps } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import type { SharedBackings } from '../replay/shared-backings.js';
import type { IrregularCalls, RecordExit } from './irregular.js';
import { NO_MAPPING, replayFileMapping, type RecordedMapping } from './mmap.js';

/** shmat(shmid, addr, flags): the protection of the attachment. */
function protOf(flags: bigint): bigint {
  return ((flags & SHM_RDONLY) !== 0n ? PROT_READ : PROT_READ | PROT_WRITE) | ((flags & SHM_EXEC) !== 0n ? PROT_EXEC : 0n);
}

// ---- record --------------------------------------------------------------------------------------

/** At the exit of shmat: when it attached (at `result`), the copy of the segment. */
function recordShmAttach({ files, task, result: at }: RecordExit): RecordedMapping {
  if (at < 0n) return NO_MAPPING;
  const tid = task.tid;
  const m = readMaps(tid).find((x) => x.start === at);
  if (!m) throw new TraceeError(`shmat attached at 0x${at.toString(16)}, which /proc/${tid}/maps does not show`);
  return { file: files.captureMapping(tid, -1n, at, m.end - m.start, 0n), writable: false };
}

// ---- replay --------------------------------------------------------------------------------------

/** shmat: the segment's backing mapped shared at the recorded address. */
function replayShmAttach(task: Task, ev: SyscallEvent, entry: BigUint64Array, filesDir: string, backings: SharedBackings,
  diverge: (message: string) => Error): void {
  const size = (ev.file!.size + 4095n) & ~4095n;
  const mmapArgs = [ev.result, size, protOf(entry[SYSCALL_ARG_REGS[2]!]!), MAP_SHARED, -1n, 0n];
  replayFileMapping(task, ev, entry, filesDir, backings, diverge, mmapArgs);
}

/**
 * shmdt(addr): the mappings of the backing attached at addr are unmapped (the kernel detaches every
 * piece of the attachment: an mprotect may have split it). A failed one (EINVAL) is only skipped.
 */
function replayShmDetach(task: Task, ev: SyscallEvent, entry: BigUint64Array, diverge: (message: string) => Error): void {
  const addr = entry[SYSCALL_ARG_REGS[0]!]!;
  skipToExit(task, ev.result);
  if (ev.result === 0n) {
    const maps = readMaps(task.tid);
    let i = maps.findIndex((m) => m.start === addr);
    const first = maps[i];
    if (!first || first.name === '') throw diverge(`shmdt(0x${addr.toString(16)}) finds no attachment there`);
    let end = first.end;
    for (i++; i < maps.length && maps[i]!.start === end && maps[i]!.name === first.name
      && maps[i]!.offset === first.offset + (maps[i]!.start - addr); i++) end = maps[i]!.end;
    const r = injectSyscall(task, SYS.munmap, [addr, end - addr]);
    if (r !== 0n) throw diverge(`unmapping the segment detached at 0x${addr.toString(16)} failed (errno ${-r})`);
  }
  setExitRegs(task, entry, ev.result);
}

// ---- how the engines reach it (irregular.ts) -----------------------------------------------------

export const SHM_CALLS: IrregularCalls = {
  shmat: {
    recordExit: recordShmAttach,
    replay: ({ task, ev, entry, filesDir, backings, diverge }) => {
      if (!ev.file) return false; // it failed: run for real, to fail again
      replayShmAttach(task, ev, entry, filesDir, backings, diverge);
      return true;
    },
  },
  shmdt: {
    replay: ({ task, ev, entry, diverge }) => {
      replayShmDetach(task, ev, entry, diverge);
      return true;
    },
  },
};
