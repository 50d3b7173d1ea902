// Code patcher: how a system call changes a process's executable code, the one rule record and replay
// share. A mapping made executable (mmap or mprotect with PROT_EXEC, over a file) is patched right
// after the call returns, before the program runs again; code unmapped or mapped over leaves the
// table; code moved by mremap takes its sites along. Which calls can do that is the syscall table's
// `changesCode`; what each of them does to the code is this file's (their one home).
import { isSyscallError } from '../kernel/errno.js';
import { PAGE_SIZE, PROT_EXEC, MAP_ANONYMOUS, pageAlign } from '../kernel/mman.js';
import { SYS } from '../kernel/syscall-names.js';
import { syscallDef } from '../kernel/syscalls/index.js';
import type { PatchSite } from '../trace/events.js';
import { isStubSite, type TrappedInsn } from '../trace/events.js';
import type { Task } from '../tracee/task.js';
import { patchCode, type CodeSpaces } from './code-patcher.js';
import { INSN_BYTES } from './decoder.js';

/** Whether the syscall can change what code a process has (worth a look after it returns). */
export function changesCode(nr: number): boolean {
  return syscallDef(nr)?.changesCode === true;
}

/**
 * Updates the task's patch table after a syscall that returned `result`, and patches what it made
 * executable (only the instructions in `kinds`). Returns the sites patched now.
 */
export function afterCodeChange(spaces: CodeSpaces, tid: number, task: Task, nr: number, args: readonly bigint[],
  result: bigint, kinds: ReadonlySet<TrappedInsn>): PatchSite[] {
  if (isSyscallError(result)) return [];
  let code = spaces.of(tid);
  let patch: [bigint, bigint] | null = null;
  switch (nr) {
    case SYS.mmap: {
      const start = BigInt.asUintN(64, result);
      const end = start + pageAlign(args[1]!);
      code = code.without(start, end);
      if ((args[2]! & PROT_EXEC) !== 0n && (args[3]! & MAP_ANONYMOUS) === 0n) patch = [start, end];
      break;
    }
    case SYS.mprotect:
    case SYS.pkey_mprotect:
      if ((args[2]! & PROT_EXEC) !== 0n) patch = [args[0]!, args[0]! + pageAlign(args[1]!)];
      break;
    case SYS.munmap:
      code = code.without(args[0]!, args[0]! + pageAlign(args[1]!));
      break;
    case SYS.mremap: {
      const from = args[0]!;
      const to = BigInt.asUintN(64, result);
      const newEnd = to + pageAlign(args[2]!);
      const inside = (s: PatchSite): boolean => s.addr - from + to + BigInt((s.original ?? INSN_BYTES[s.insn]).length) <= newEnd;
      const old = code.sitesIn(from, from + pageAlign(args[1]!)).filter(inside);
      // A trap site is its own bytes: it moves with the code. A stub site's stub jumps back to where
      // the code was: kept where the code stayed, else its original instructions are put back at the new
      // place (both at record and replay), where the patching below finds the site again with a stub of its own.
      const moved = old.filter((s) => !isStubSite(s.insn) || to === from).map((s) => ({ ...s, addr: s.addr - from + to }));
      if (to !== from) {
        for (const s of old) if (isStubSite(s.insn) && s.original) task.write(s.addr - from + to, s.original);
        patch = [to, newEnd];
      }
      code = code.without(from, from + pageAlign(args[1]!)).without(to, newEnd).with(moved);
      break;
    }
    default:
      return [];
  }
  let sites: PatchSite[] = [];
  if (patch && patch[0] % PAGE_SIZE === 0n) {
    sites = patchCode(task, code, kinds, patch[0], patch[1]);
    code = code.with(sites);
  }
  spaces.set(tid, code);
  return sites;
}
