// Syscall buffer, record only: where a buffered munmap or mprotect may not act, per address space (the
// table GUARDED in layout.ts, which the buffer reads). The buffer runs mmap of anonymous private memory
// that is not executable, and munmap and mprotect (never to executable) outside these ranges: such
// calls change nothing the recorder follows, so it need not see them. Guarded is every mapping but
// anonymous private memory that is not executable — code (the patch table, code-changes.ts), files
// (shared-files.ts, file-store.ts), shared memory — and the table is a superset: built from
// /proc/PID/maps at exec, grown by every traced call that maps or reprotects such memory, shrunk only by
// a traced munmap or a MAP_FIXED mapping of anonymous memory over it (nothing of the old mapping is left
// there). Only traced calls can make guarded memory (the buffer's own mmaps cannot), so after each one
// the table is current again before the process runs (BufferSync).
import { isSyscallError } from '../kernel/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_TYPE_MASK, MAP_PRIVATE, pageAlign, PROT_EXEC } from '../kernel/mman.js';
import { SYS } from '../kernel/syscall-names.js';
import type { CodeSpaces } from '../patch/code-patcher.js';
import type { Mapping } from '../tracee/maps.js';

export type Range = readonly [bigint, bigint];

/** One address space's table: sorted, disjoint, non-adjacent ranges; null: everything is guarded. */
export interface Guarded {
  readonly ranges: readonly Range[] | null;
  /** Changes with every change of the table (BufferSync writes it again then). */
  readonly version: number;
}

/** Anonymous private memory that is not executable, as maps shows it (the heap and stack included). */
function plainMapping(m: Mapping): boolean {
  const anonymous = m.name === '' || m.name === '[heap]' || m.name === '[stack]' || m.name.startsWith('[anon:');
  return anonymous && m.inode === 0 && m.perms[2] !== 'x' && m.perms[3] === 'p';
}

/** ranges with [start, end) added (merged with what it meets or touches). */
export function addRange(ranges: readonly Range[], start: bigint, end: bigint): Range[] {
  const out: Range[] = [];
  let s = start;
  let e = end;
  for (const r of ranges) {
    if (r[1] < s || r[0] > e) out.push(r);
    else {
      if (r[0] < s) s = r[0];
      if (r[1] > e) e = r[1];
    }
  }
  out.push([s, e]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** ranges without [start, end). */
export function removeRange(ranges: readonly Range[], start: bigint, end: bigint): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    if (r[1] <= start || r[0] >= end) {
      out.push(r);
      continue;
    }
    if (r[0] < start) out.push([r[0], start]);
    if (r[1] > end) out.push([end, r[1]]);
  }
  return out;
}

export class GuardedMemory {
  /** By address space (CodeSpaces' id of it). */
  private readonly tables = new Map<number, Guarded>();
  private version = 0;

  constructor(private readonly spaces: CodeSpaces) {}

  /** The table of tid's address space (undefined: none known, so none written: the buffer's stays `all`). */
  of(tid: number): Guarded | undefined {
    const space = this.spaces.spaceId(tid);
    return space === undefined ? undefined : this.tables.get(space);
  }

  /** tid has a fresh image (after CodeSpaces.execed), whose mappings are `maps`. */
  execed(tid: number, maps: readonly Mapping[]): void {
    let ranges: Range[] = [];
    for (const m of maps) if (!plainMapping(m)) ranges = addRange(ranges, m.start, m.end);
    this.set(tid, ranges);
    this.collect();
  }

  /** A new task (after CodeSpaces.created): a copy of its creator's memory has a copy of its table. */
  created(parent: number, child: number, sharesMemory: boolean): void {
    const table = this.of(parent);
    if (!sharesMemory && table) this.set(child, table.ranges);
  }

  exited(): void {
    this.collect();
  }

  /** After a traced call that returned `result` in tid (a buffered one changes nothing guarded). */
  after(tid: number, nr: number, args: readonly bigint[], result: bigint): void {
    const table = this.of(tid);
    if (!table || table.ranges === null || isSyscallError(result)) return;
    const ranges = table.ranges;
    switch (nr) {
      case SYS.mmap: {
        const start = BigInt.asUintN(64, result);
        const end = start + pageAlign(args[1]!);
        const plain = (args[3]! & MAP_TYPE_MASK) === MAP_PRIVATE && (args[3]! & MAP_ANONYMOUS) !== 0n && (args[2]! & PROT_EXEC) === 0n;
        if (!plain) this.set(tid, addRange(ranges, start, end));
        else if ((args[3]! & MAP_FIXED) !== 0n) this.set(tid, removeRange(ranges, start, end));
        return;
      }
      case SYS.mprotect:
      case SYS.pkey_mprotect:
        // Executable now: code. Anything else a traced mprotect did was to guarded memory (the buffer
        // takes the rest), which stays what it was: a file, shared, or code once.
        if ((args[2]! & PROT_EXEC) !== 0n) this.set(tid, addRange(ranges, args[0]!, args[0]! + pageAlign(args[1]!)));
        return;
      case SYS.munmap:
        this.set(tid, removeRange(ranges, args[0]!, args[0]! + pageAlign(args[1]!)));
        return;
      case SYS.mremap: {
        // Moved or grown: the new place is guarded if the old one was.
        const from = args[0]!;
        const meets = ranges.some((r) => r[0] < from + pageAlign(args[1]!) && r[1] > from);
        const to = BigInt.asUintN(64, result);
        if (meets) this.set(tid, addRange(ranges, to, to + pageAlign(args[2]!)));
        return;
      }
      case SYS.shmat:
        // A shared segment of a size the call does not say: everything is guarded from now on.
        this.set(tid, null);
        return;
      default:
        return;
    }
  }

  private set(tid: number, ranges: readonly Range[] | null): void {
    const space = this.spaces.spaceId(tid);
    if (space !== undefined) this.tables.set(space, { ranges, version: ++this.version });
  }

  private collect(): void {
    for (const space of this.tables.keys()) if (!this.spaces.isLive(space)) this.tables.delete(space);
  }
}
