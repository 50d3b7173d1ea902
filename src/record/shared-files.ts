// Recording: files the program maps shared (mmap with MAP_SHARED of a regular file: a file on disk, a
// memfd, a POSIX shm object), known by their identity (device, inode). Replay backs each such file with
// one memory file, which all its mappings share (src/replay/shared-backings.ts). Replay emulates the
// program's write/pwrite/ftruncate… calls, so when one of them changes a file mapped shared, its event
// carries the change (FileChange: the bytes written and where, the size after) for replay to apply to
// the backing; mappings then show what they showed when recorded. Calls that change such a file in ways
// not followed here stop the recording with a message. Which calls may change a file is the syscall
// table's (`writes`, `copies`, `sizes`); fallocate's modes are this file's own rule.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE,
} from '../kernel/falloc.js';
import { isSharedMapping } from '../kernel/mman.js';
import { SYS, syscallName } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import type { SyscallDef } from '../kernel/syscalls/types.js';
import type { FileChange, FileRef } from '../trace/events.js';
import { hasCopy } from '../trace/file-copies.js';
import { UnsupportedError } from '../tracee/errors.js';
import type { Task } from '../tracee/task.js';
import { writtenRanges } from '../tracee/write-data.js';
import { readMaps } from '../tracee/maps.js';
import { devMajor, devMinor } from '../kernel/dev-t.js';
import { SYSTEM_DIRS } from './file-store.js';

const O_ACCMODE = 3;
const O_RDONLY = 0;

/**
 * The argument holding the fd a call may change a file through: a write-like call's, a resize's, a
 * kernel copy's output (followed by no FileChange: refused when its output is such a file).
 */
function changedFdArg(def: SyscallDef | undefined): number | undefined {
  const sized = def?.sizes;
  return def?.writes?.fd ?? (sized && 'fd' in sized ? sized.fd : undefined) ?? def?.copies?.out;
}

interface Identity {
  dev: bigint;
  ino: bigint;
  size: bigint;
}

export class SharedFiles {
  /** `dev:ino` of every file mapped shared so far. */
  private readonly files = new Set<string>();
  /**
   * `dev:ino` of files mapped privately (outside the system's directories) and not shared. Replay maps
   * such a mapping from the file's copy as it was at the mmap, so a later change of the file that the
   * mapping would show (its pages not yet copied on write read the file) cannot be replayed: it stops
   * the recording (followPrivate). Following it would take a backing per privately mapped file, and a
   * backing ends the checkpoints gdb's reverse execution uses.
   */
  private readonly privately = new Set<string>();
  /** Bumped whenever a file is added to either set (the syscall buffer's watch lists follow it). */
  version = 0;

  /** The files whose changes this class follows: the syscall buffer leaves their writes to the tracer. */
  watched(): { dev: bigint; ino: bigint }[] {
    return [...this.files, ...this.privately].map((k) => {
      const [dev, ino] = k.split(':');
      return { dev: BigInt(dev!), ino: BigInt(ino!) };
    });
  }

  /** A file mapped privately by a successful mmap (not shared: `mapped` said undefined). */
  mappedPrivately(file: FileRef): void {
    if (!hasCopy(file) || SYSTEM_DIRS.some((d) => file.path.startsWith(d))) return;
    if (!this.privately.has(key(file.dev, file.ino))) this.version++;
    this.privately.add(key(file.dev, file.ino));
  }

  /**
   * A successful mmap of `file` (args: the call's arguments): remembers the file when the mapping is
   * shared, and says whether its fd was open for writing (undefined for a private mapping).
   */
  mapped(task: Task, args: readonly bigint[], file: FileRef): boolean | undefined {
    if (!isSharedMapping(args[3]!) || !hasCopy(file)) return undefined;
    if (!this.files.has(key(file.dev, file.ino))) this.version++;
    this.files.add(key(file.dev, file.ino));
    const fd = Number(BigInt.asIntN(32, args[4]!));
    return (fdFlags(task, fd) & O_ACCMODE) !== O_RDONLY;
  }

  /** After a syscall: how it changed a file mapped shared, or null. */
  change(task: Task, nr: number, args: readonly bigint[], result: bigint, processes: () => number[]): FileChange | null {
    if ((this.files.size === 0 && this.privately.size === 0) || result < 0n) return null;
    const def = syscallDef(nr);
    const sized = def?.sizes;
    const which = changedFdArg(def);
    let id: Identity | null;
    if (sized && 'path' in sized) {
      id = identity(pathFor(task, task.readCString(args[sized.path]!)));
    } else {
      if (which === undefined) return null;
      id = identity(`/proc/${task.tid}/fd/${BigInt.asIntN(32, args[which]!)}`);
    }
    if (!id) return null;
    const fd = which === undefined ? -1 : Number(BigInt.asIntN(32, args[which]!));
    if (!this.files.has(key(id.dev, id.ino))) {
      if (this.privately.has(key(id.dev, id.ino))) this.checkPrivate(task, nr, def, args, result, fd, id, processes);
      return null;
    }
    const { dev, ino, size } = id;
    const none = new Uint8Array(0);
    if (nr === SYS.fallocate) {
      // fallocate(2): its mode says whether it only resizes, zeroes a range, or moves data.
      const mode = args[1]!;
      if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) !== 0n) throw unsupported(nr, task, fd);
      if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) === 0n) return { dev, ino, offset: 0n, data: none, size };
      const offset = args[2]!;
      const end = offset + args[3]! < size ? offset + args[3]! : size;
      return { dev, ino, offset, data: new Uint8Array(end > offset ? Number(end - offset) : 0), size };
    }
    if (sized) return { dev, ino, offset: 0n, data: none, size };
    if (result === 0n) return null;
    const w = def?.writes;
    if (!w) throw unsupported(nr, task, fd);
    // Writes at the fd's position leave it after what they wrote (with O_APPEND too: at the end).
    const atPosition = w.offset === undefined || BigInt.asIntN(64, args[w.offset]!) === -1n;
    const offset = atPosition ? filePosition(task, fd) - result : args[w.offset!]!;
    return { dev, ino, offset, data: gather(task, nr, args, result), size };
  }

  /**
   * A call changed a file mapped privately: stops the recording when a process of the recording (its
   * tgids: `processes`) still maps the changed part privately; forgets the file when none maps it.
   */
  private checkPrivate(task: Task, nr: number, def: SyscallDef | undefined, args: readonly bigint[], result: bigint, fd: number, id: Identity,
    processes: () => number[]): void {
    const sized = def?.sizes;
    const w = def?.writes;
    if (result === 0n && !sized && nr !== SYS.fallocate) return;
    let from = 0n;
    let to = -1n; // -1: to the end
    if (sized) from = id.size; // truncate, ftruncate: the pages past the new size
    else if (nr === SYS.fallocate) {
      if ((args[1]! & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) === 0n) return;
      from = args[2]!;
      if ((args[1]! & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) === 0n) to = args[2]! + args[3]!;
    } else if (w) {
      const atPosition = w.offset === undefined || BigInt.asIntN(64, args[w.offset]!) === -1n;
      from = atPosition ? filePosition(task, fd) - result : args[w.offset!]!;
      to = from + result;
    } // a kernel copy (sendfile, copy_file_range, splice): anywhere
    const dev = `${hex2(devMajor(id.dev))}:${hex2(devMinor(id.dev))}`;
    let mapped = false;
    for (const pid of processes()) {
      let maps;
      try {
        maps = readMaps(pid);
      } catch {
        continue; // gone meanwhile
      }
      for (const m of maps) {
        if (m.inode !== Number(id.ino) || m.dev !== dev || m.perms[3] !== 'p') continue;
        mapped = true;
        const end = m.offset + (m.end - m.start);
        if (end > from && (to < 0n || m.offset < to)) {
          throw new UnsupportedError(`${syscallName(nr)} changed ${m.name} where process ${pid} maps it privately (MAP_PRIVATE): `
            + 'replay maps the file as it was at the mmap and would not show the change there');
        }
      }
    }
    if (!mapped) this.privately.delete(key(id.dev, id.ino));
  }
}

function hex2(n: bigint): string {
  return n.toString(16).padStart(2, '0');
}

function key(dev: bigint, ino: bigint): string {
  return `${dev}:${ino}`;
}

function identity(path: string): Identity | null {
  try {
    const st = statSync(path, { bigint: true });
    return st.isFile() ? { dev: st.dev, ino: st.ino, size: st.size } : null;
  } catch {
    return null;
  }
}

/** A path as the task resolves it (relative to its working directory). */
function pathFor(task: Task, path: string): string {
  return path.startsWith('/') ? path : `/proc/${task.tid}/cwd/${path}`;
}

/** The `flags:` (octal) of the task's fd, from /proc/PID/fdinfo. */
function fdFlags(task: Task, fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(fdInfo(task, fd));
  return m ? parseInt(m[1]!, 8) : 0;
}

function filePosition(task: Task, fd: number): bigint {
  const m = /^pos:\s+(\d+)$/m.exec(fdInfo(task, fd));
  if (!m) throw new UnsupportedError(`cannot read the file position of fd ${fd} of task ${task.tid}`);
  return BigInt(m[1]!);
}

function fdInfo(task: Task, fd: number): string {
  try {
    return readFileSync(`/proc/${task.tid}/fdinfo/${fd}`, 'utf8');
  } catch {
    return '';
  }
}

/** The `result` bytes a write-like call took from the program's memory, in order. */
function gather(task: Task, nr: number, args: readonly bigint[], result: bigint): Uint8Array {
  const ranges = writtenRanges(task, nr, args, result) ?? [];
  const out = new Uint8Array(Number(result));
  let at = 0;
  for (const r of ranges) {
    out.set(task.read(r.addr, r.len), at);
    at += r.len;
  }
  return out.subarray(0, at);
}

function unsupported(nr: number, task: Task, fd: number): UnsupportedError {
  let path = `fd ${fd}`;
  try {
    path = readlinkSync(`/proc/${task.tid}/fd/${fd}`);
  } catch {
    // keep the fd number
  }
  return new UnsupportedError(`${syscallName(nr)} changed ${path}, a file the program maps shared, in a way rewind cannot replay yet`);
}
