// Traced-process model: files rewind opens inside a replayed process to map them (the trace's copies),
// kept open there between mappings. ld.so maps each library in four or five mmaps of the same file,
// and an open, a string written onto the stack and a close injected for every one of them was most of
// what replaying a file mapping cost (make -j2: ~160 ms). A mapping of a copy already open here is
// then made by the program's own mmap, its fd changed (syscalls/mmap.ts). The program never sees these
// descriptors: replay emulates every call that names or lists descriptors.
//
// A kept descriptor is trusted only while /proc/TID/fd/N still names the file it was opened on: an
// exec closes it (O_CLOEXEC), a checkpoint's copy is another process, and a process id can be reused.
import { readlinkSync } from 'node:fs';
import { AT_FDCWD, O_CLOEXEC, O_RDONLY } from '../kernel/fcntl.js';
import { SYS } from '../kernel/syscall-names.js';
import { injectSyscall, withStringOnStack } from './inject.js';
import type { Task } from './task.js';

/** Kept per process; the least recently used is closed past this many. */
const KEPT = 8;

interface Kept {
  fd: bigint;
  /** What /proc/TID/fd/N named right after the open. */
  link: string;
}

/** By process (tgid), then by the path opened, in order of use (the last is the latest). */
const kept = new Map<number, Map<string, Kept>>();

function linkOf(task: Task, fd: bigint): string | null {
  try {
    return readlinkSync(`/proc/${task.tid}/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * The descriptor of path kept open in task's process, when it still names the file it was opened on
 * (then it becomes the latest used); null when there is none: nothing is opened.
 */
export function keptFdOf(task: Task, path: string): bigint | null {
  const files = kept.get(task.tgid);
  const k = files?.get(path);
  if (!files || !k) return null;
  files.delete(path);
  if (linkOf(task, k.fd) !== k.link) return null;
  files.set(path, k);
  return k.fd;
}

/**
 * A read-only descriptor of path inside task's process (stopped where syscalls can be injected), kept
 * open for the next mapping of the same file (`kept`: else its caller closes it); fd is a negative
 * errno when the open fails.
 */
export function keptReadOnlyFd(task: Task, path: string): { fd: bigint; kept: boolean } {
  const open = keptFdOf(task, path);
  if (open !== null) return { fd: open, kept: true };
  let files = kept.get(task.tgid);
  if (!files) kept.set(task.tgid, (files = new Map()));
  const fd = withStringOnStack(task, path, (addr) => injectSyscall(task, SYS.openat, [AT_FDCWD, addr, O_RDONLY | O_CLOEXEC, 0n]));
  if (fd < 0n) return { fd, kept: false };
  const link = linkOf(task, fd);
  if (link === null) return { fd, kept: false }; // cannot happen: it was just opened
  files.set(path, { fd, link });
  if (files.size > KEPT) {
    const [oldest, o] = files.entries().next().value as [string, Kept];
    files.delete(oldest);
    if (linkOf(task, o.fd) === o.link) injectSyscall(task, SYS.close, [o.fd]);
  }
  return { fd, kept: true };
}
