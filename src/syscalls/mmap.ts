// Irregular syscall: mmap(2) of a file, and mremap(2) growing one. Recording keeps a copy of the file
// mapped (file-store.ts), names it in the event and, for a file mapped shared, remembers the file
// (shared-files.ts: replay needs the changes emulated calls make to it); a mapping mremap grows must
// still be within the copy. Replay maps the trace's copy at the recorded address, privately (replay never
// writes to files), or, for a mapping shared or of a file mapped shared before, the file's shared
// backing (shared-backings.ts); anonymous memory is mapped for real, pinned to the recorded address.
// A home of the syscall layer: imports record/ and replay/ helpers, never the engines.
import { E } from '../kernel/errno.js';
import { AT_FDCWD, O_CLOEXEC, O_RDONLY, O_RDWR } from '../kernel/fcntl.js';
import { isSharedMapping, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_TYPE_MASK, PROT_WRITE } from '../kernel/mman.js';
import { R, SYSCALL_ARG_REGS } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { FileRef, SyscallEvent } from '../trace/events.js';
import { hasCopy } from '../trace/file-copies.js';
import { TraceeError } from '../tracee/errors.js';
import { injectSyscall, runToSyscallExit, setExitRegs, skipToExit, withStringOnStack } from '../tracee/inject.js';
import { keptFdOf, keptReadOnlyFd } from '../tracee/kept-fds.js';
import { describeStop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import type { SharedBackings } from '../replay/shared-backings.js';
import { copyPath } from '../replay/trace-files.js';
import type { IrregularCalls, RecordExit } from './irregular.js';

const O_RDONLY_CLOEXEC = O_RDONLY | O_CLOEXEC;
const O_RDWR_CLOEXEC = O_RDWR | O_CLOEXEC;
const DEV_ZERO = '/dev/zero';

// ---- record --------------------------------------------------------------------------------------

/** What a recorded mmap's event carries about the file it mapped. */
export interface RecordedMapping {
  /** The copy of the file mapped; null for anonymous memory (and for any other call). */
  file: FileRef | null;
  /** Mapped shared from an fd open for writing (replay then opens the file's backing read-write). */
  writable: boolean;
}

/** What the event of a call that mapped no file carries. */
export const NO_MAPPING: RecordedMapping = Object.freeze({ file: null, writable: false });

/**
 * At the exit of mmap: for a successful mmap of a file, the copy of the file it mapped, the file
 * remembered when mapped shared.
 */
function recordMmap({ files, shared, task, args, result }: RecordExit): RecordedMapping {
  if (result < 0n) return NO_MAPPING;
  const fd = BigInt.asIntN(32, args[4]!);
  if ((args[3]! & MAP_ANONYMOUS) !== 0n || fd < 0n) return NO_MAPPING;
  const file = files.captureMapping(task.tid, fd, result, args[1]!, args[5]!);
  // Files mapped shared: replay backs them with one memory file, and needs the changes made by calls it
  // emulates; files mapped privately are remembered so that a change replay could not show is refused.
  const writable = shared.mapped(task, args, file);
  if (writable === undefined) shared.mappedPrivately(file);
  return { file, writable: writable === true };
}

/** At the exit of mremap: a mapping it grew must still be within the copy of its file. */
function recordMremap({ files, task, args, result }: RecordExit): RecordedMapping {
  if (result >= 0n && args[2]! > args[1]!) files.checkGrownMapping(task.tid, result, args[2]!);
  return NO_MAPPING;
}

// ---- replay --------------------------------------------------------------------------------------

/**
 * mmap of a file at the recorded address: the trace's copy, privately (replay never writes to files);
 * a shared mapping, or any of a file mapped shared before, maps the file's shared backing instead
 * (shared-backings.ts); /dev/zero is anonymous memory, shared if it was. `args` are mmap's arguments
 * (another call that maps a file, shmat, passes its own equivalent).
 */
export function replayFileMapping(task: Task, ev: SyscallEvent, entry: BigUint64Array, filesDir: string, backings: SharedBackings,
  diverge: (message: string) => Error, args: readonly bigint[] = SYSCALL_ARG_REGS.map((r) => entry[r]!)): void {
  const file = ev.file!;
  const shared = isSharedMapping(args[3]!);
  let flags = (args[3]! & ~MAP_TYPE_MASK) | (shared ? args[3]! & MAP_TYPE_MASK : MAP_PRIVATE) | MAP_FIXED;
  if (ev.nr === SYS.mmap && hasCopy(file) && !shared && !backings.has(file)) {
    const open = keptFdOf(task, copyPath(filesDir, file));
    if (open !== null) {
      mapInPlace(task, ev, entry, flags, open, diverge); // flags: private, fixed
      return;
    }
  }
  skipToExit(task, ev.result);
  let fd = -1n;
  let kept = false;
  if (!hasCopy(file)) {
    // /dev/zero. Mapped shared, the kernel makes it shared anonymous memory, as MAP_ANONYMOUS does. Mapped
    // privately it stays a mapping of /dev/zero, which never merges with adjacent anonymous memory (an
    // mremap across both fails with EFAULT): the same device is mapped, so the address space matches.
    if (!shared) fd = withStringOnStack(task, DEV_ZERO, (addr) => injectSyscall(task, SYS.openat, [AT_FDCWD, addr, O_RDONLY_CLOEXEC, 0n]));
    if (fd < 0n) flags |= MAP_ANONYMOUS;
  } else if (shared || backings.has(file)) {
    const writable = shared && (ev.fileWritable || (args[2]! & PROT_WRITE) !== 0n);
    const path = backings.pathOf(file);
    fd = withStringOnStack(task, path, (addr) => injectSyscall(task, SYS.openat, [AT_FDCWD, addr, writable ? O_RDWR_CLOEXEC : O_RDONLY_CLOEXEC, 0n]));
    if (fd === -BigInt(E.EACCES) && !writable) {
      // rewind's backing is out of reach (the process is in a user namespace of its own): a read-only
      // mapping gets the trace's copy, and a later change of the file is refused (SharedBackings).
      backings.unreachable(file);
      flags = (flags & ~MAP_TYPE_MASK) | MAP_PRIVATE;
      fd = openInTracee(task, copyPath(filesDir, file));
    } else if (fd < 0n) {
      throw new TraceeError(`cannot open ${path} (the shared backing of ${file.path}) in the replayed process (errno ${-fd})`);
    }
  } else {
    flags = (flags & ~MAP_TYPE_MASK) | MAP_PRIVATE;
    const path = copyPath(filesDir, file);
    ({ fd, kept } = keptReadOnlyFd(task, path)); // kept open for the file's next mapping (ld.so maps a library in 4 or 5)
    if (fd < 0n) throw new TraceeError(`cannot open ${path} (a trace's copy) in the replayed process (errno ${-fd})`);
  }
  const r = injectSyscall(task, SYS.mmap, [ev.result, args[1]!, args[2]!, flags, fd, fd < 0n ? 0n : args[5]!]);
  if (fd >= 0n && !kept) injectSyscall(task, SYS.close, [fd]);
  if (r !== ev.result) throw diverge(`mmap of ${file.path} landed at 0x${r.toString(16)}, recorded 0x${ev.result.toString(16)}`);
  setExitRegs(task, entry, ev.result);
}

/**
 * A file mapping whose copy is already open in the process (kept-fds.ts: ld.so maps each library in
 * four or five mmaps) is made by the program's own mmap, stopped at its entry: its address, flags and
 * fd changed to the recorded address, private and fixed, and the copy's fd, then its own registers
 * put back at the exit. One stop instead of three (the call skipped, then an injected mmap).
 */
function mapInPlace(task: Task, ev: SyscallEvent, entry: BigUint64Array, flags: bigint, fd: bigint, diverge: (message: string) => Error): void {
  const regs = entry.slice();
  regs[R.rdi] = BigInt.asUintN(64, ev.result);
  regs[R.r10] = flags;
  regs[R.r8] = fd;
  task.storeRegs(regs);
  const s = runToSyscallExit(task, regs);
  if (s.kind !== 'syscall') throw new TraceeError(`task ${task.tid}: expected the exit of its mmap, got ${describeStop(s)}`);
  const r = BigInt.asIntN(64, task.fetchRegs()[R.rax]!);
  if (r !== ev.result) throw diverge(`mmap of ${ev.file!.path} landed at 0x${BigInt.asUintN(64, r).toString(16)}, recorded 0x${ev.result.toString(16)}`);
  setExitRegs(task, entry, ev.result, true);
}

const PINNED = [R.rdi, R.r10];

/** An mmap of anonymous memory runs for real, pinned to the address it returned when recorded. */
function pinAnonymous(regs: BigUint64Array, ev: SyscallEvent): readonly number[] {
  if (ev.result < 0n) return [];
  regs[R.rdi] = BigInt.asUintN(64, ev.result);
  regs[R.r10] = regs[R.r10]! | MAP_FIXED;
  return PINNED;
}

/** Opens path inside the tracee (at a syscall-exit stop; read-only unless told); returns the fd. */
function openInTracee(task: Task, path: string, flags = O_RDONLY_CLOEXEC): bigint {
  const fd = withStringOnStack(task, path, (addr) => injectSyscall(task, SYS.openat, [AT_FDCWD, addr, flags, 0n]));
  if (fd < 0n) throw new TraceeError(`cannot open ${path} (a trace's copy or a shared backing) in the replayed process (errno ${-fd})`);
  return fd;
}

// ---- how the engines reach it (irregular.ts) -----------------------------------------------------

export const MMAP_CALLS: IrregularCalls = {
  mmap: {
    recordExit: recordMmap,
    replay: ({ task, ev, entry, filesDir, backings, diverge }) => {
      if (ev.file) {
        replayFileMapping(task, ev, entry, filesDir, backings, diverge);
        return true;
      }
      // Anonymous memory: run for real (the engine pins it to the recorded address). A mapping of an fd
      // that failed when recorded (a pipe, a directory, a perf event mapped privately) fails here without
      // the kernel: replay's fd of that number may be another file, or one it only emulates.
      if (ev.result >= 0n || (entry[R.r10]! & MAP_ANONYMOUS) !== 0n) return false;
      skipToExit(task, ev.result);
      setExitRegs(task, entry, ev.result);
      return true;
    },
    runsAsRecorded: pinAnonymous,
  },
  mremap: { recordExit: recordMremap },
};
