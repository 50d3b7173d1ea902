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
import { TrappedInsn } from '../trace/events.js';
import type { Task } from '../tracee/task.js';
import { patchCode, type CodeSpaces } from './code-patcher.js';

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
      const moved = code.sitesIn(from, from + pageAlign(args[1]!)).map((s) => ({ addr: s.addr - from + to, insn: s.insn }));
      code = code.without(from, from + pageAlign(args[1]!)).without(to, to + pageAlign(args[2]!)).with(moved);
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
