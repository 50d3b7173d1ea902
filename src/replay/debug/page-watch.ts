// Replay debugging: watchpoints in software, for machines whose debug registers do not fire (a VM that
// accepts DR7 through ptrace and never traps) or when REWIND_SOFTWARE asks for it.
//
// Mechanism: page protection. The replay controls the whole program, so the pages holding watched
// bytes are protected by an mprotect injected into the debugged process — write-protected for `watch`,
// PROT_NONE for `rwatch`/`awatch` (x86 has no read-only watchpoint: a read one is an access one, as with
// debug registers). An instruction touching such a page faults (SIGSEGV, SEGV_ACCERR, si_addr in the
// page); replay then lifts the protection, single-steps that instruction, puts the protection back and
// decides from the instruction's memory operands (decoded with its registers before the step) whether
// it wrote (watch) or touched (rwatch/awatch) the watched bytes: exactly when a debug register would
// have fired, so the stops are the same as the hardware path's, going forwards and backwards. Other
// bytes of a watched page cost a fault and a step, silently. A fault on a page rewind did not protect,
// or one the original permissions forbid too (the step faults again), is the program's own.
//
// Single-stepping with value checks would need no protection, but a step costs 20-30 µs here and a
// dynamically linked program runs about 10^6 instructions before main; a fault costs a few ptrace stops
// and happens only on the watched pages. Debug registers also watch at most 4 aligned pieces; pages
// have no such limit.
//
// The kernel must still reach those pages: while protected, every system call replay executes for
// real (mmap, mprotect, munmap, brk, rt_sigaction, rt_sigreturn, clone, execve…) runs with the
// protections lifted and put back from the new /proc/PID/maps after it, so the program's own
// mprotect/munmap/mmap of a watched page acts on its own permissions and a fork copies those (the
// syscall buffer's calls run for real at replay touch no protected page: madvise reads none,
// rt_sigprocmask/rt_sigaction run on copies in the buffer, which it moves with plain loads and stores,
// and its mmap, munmap and mprotect go to the tracer while pages are protected: PROC_DELEGATE_MEMORY); a
// signal handled by the program is delivered (its frame written) with them lifted, by a single step
// that stops at the handler. Emulated syscalls' results are written by replay through /proc/PID/mem,
// which writes read-only and PROT_NONE private pages. These ptrace writes (which debug registers do not
// see either) and the kernel's trap nothing: the replayer reports a syscall's recorded outputs that
// overlap a watchpoint itself, at the syscall's end (ArmedTraps.writtenWatch). While a vfork parent waits in the kernel no
// thread of it can take an injection: its pages stay as they are until it stops again. Protections are in place only while the replay runs for the
// debugger (arm/disarm): at every stop gdb sees, in /proc/PID/maps served to it and in restore
// points (fork copies taken at stops), the program's own permissions.
import { PAGE_SIZE, PROT_NONE, PROT_WRITE, protOfPerms } from '../../kernel/mman.js';
import { SEGV_ACCERR, SIG, SIGINFO, siginfoCode } from '../../kernel/signals.js';
import { SYS } from '../../kernel/syscall-names.js';
import { setDelegateMemory } from '../../syscallbuf/install.js';
import { injectAtStop } from '../../tracee/inject.js';
import { readMaps } from '../../tracee/maps.js';
import { memoryAccesses, type MemoryAccess } from '../../tracee/memory-access.js';
import { waitStop } from '../../tracee/spawn.js';
import type { Stop } from '../../tracee/stop.js';
import type { Task } from '../../tracee/task.js';
import type { Watch } from './marks.js';

const PAGE = PAGE_SIZE;
const pageOf = (addr: bigint): bigint => addr & ~(PAGE - 1n);

/** A stopped thread of the watched address space that an mprotect can be injected into. */
export interface Place {
  task: Task;
  /** The stop it sits at. */
  at: Stop;
  /** A signal it will be given on resume (at a signal-delivery stop), kept across the injection. */
  pending: number;
}

/** What software watchpoints cost so far (for `monitor info`). */
export interface WatchCost {
  /** Faults on protected pages, each lifted, stepped and protected again. */
  faults: number;
  /** Of those, the ones that touched watched bytes (reported). */
  hits: number;
  /** mprotect calls injected (protecting, lifting). */
  mprotects: number;
  /** Time spent in fault handling and in protecting and lifting, ms. */
  ms: number;
}

interface Protected {
  orig: bigint;
  prot: bigint;
}

export class PageWatch {
  private watches: readonly Watch[] = [];
  /** The process whose pages are watched. */
  private tgid: number | undefined;
  /** Pages protected now, with the permissions the program gave them. */
  private readonly pages = new Map<bigint, Protected>();
  readonly cost: WatchCost = { faults: 0, hits: 0, mprotects: 0, ms: 0 };

  /** The watched ranges and their process (undefined: not there yet); protections follow with protect(). */
  set(watches: readonly Watch[], tgid: number | undefined): void {
    this.watches = watches;
    this.tgid = tgid;
  }

  get armed(): boolean {
    return this.watches.length > 0 && this.tgid !== undefined;
  }

  get process(): number | undefined {
    return this.tgid;
  }

  /** Some page is protected now. */
  get active(): boolean {
    return this.pages.size > 0;
  }

  /** The process's memory was replaced (a restore point, a new replay, an exec): nothing is protected. */
  forget(): void {
    this.pages.clear();
  }

  /** Protects the pages of the watched ranges (their current mappings), unless they already are. */
  protect(place: Place): void {
    if (!this.armed) return;
    // While watching, the buffer's mmap, munmap and mprotect go to the tracer (PROC_DELEGATE_MEMORY),
    // whether or not a page is protected now: one of them may map a watched page.
    setDelegateMemory(place.task, true);
    if (this.pages.size > 0) return;
    const t0 = performance.now();
    const want = new Map<bigint, Protected>();
    const maps = readMaps(this.tgid!);
    for (const w of this.watches) {
      for (let p = pageOf(w.addr); p < w.addr + BigInt(w.len); p += PAGE) {
        const m = maps.find((x) => x.start <= p && p < x.end);
        if (!m || /^\[(vdso|vvar|vsyscall)\]$/.test(m.name)) continue;
        const orig = protOfPerms(m.perms);
        const prot = (w.kind === 'write' ? orig & ~PROT_WRITE : PROT_NONE) & (want.get(p)?.prot ?? orig);
        if (prot !== orig) want.set(p, { orig, prot });
      }
    }
    for (const run of runs(want, (a, b) => a.prot === b.prot)) {
      this.mprotect(place, run.start, run.pages, run.value.prot);
      for (let i = 0n; i < run.pages; i++) this.pages.set(run.start + i * PAGE, run.value);
    }
    this.cost.ms += performance.now() - t0;
  }

  /** Gives the protected pages back their own permissions. */
  unprotect(place: Place): void {
    setDelegateMemory(place.task, false);
    if (this.pages.size === 0) return;
    const t0 = performance.now();
    for (const run of runs(this.pages, (a, b) => a.orig === b.orig)) this.mprotect(place, run.start, run.pages, run.value.orig);
    this.pages.clear();
    this.cost.ms += performance.now() - t0;
  }

  private mprotect(place: Place, start: bigint, pages: bigint, prot: bigint): void {
    this.cost.mprotects++;
    const r = injectAtStop(place.task, place.at, SYS.mprotect, [start, pages * PAGE, prot], place.pending);
    if (r < 0n) {
      throw new Error(`software watchpoints: mprotect(0x${start.toString(16)}, ${pages * PAGE}, ${prot}) in task ${place.task.tid} failed (errno ${-r})`);
    }
  }

  /** Whether the task's SIGSEGV (at its signal-delivery stop) is an access to a page protected here. */
  owns(task: Task): boolean {
    if (this.pages.size === 0 || task.tgid !== this.tgid) return false;
    const info = task.siginfo();
    if (siginfoCode(info) !== SEGV_ACCERR) return false;
    const addr = new DataView(info.buffer, info.byteOffset).getBigUint64(SIGINFO.si_addr, true);
    return this.pages.has(pageOf(addr));
  }

  /**
   * The task faulted on a protected page (owns): runs the faulting instruction with the protections
   * lifted, one single step, and puts them back. Returns the stop after the step (a SIGTRAP when the
   * instruction ran; another signal when it faulted for the program itself or a signal came first,
   * to be handled as usual) and the watchpoint whose bytes it wrote (watch) or touched (rwatch, awatch).
   */
  stepFaulting(task: Task): { stop: Stop; hit: Watch | null } {
    const t0 = performance.now();
    this.cost.faults++;
    const info = task.siginfo();
    const faultAddr = new DataView(info.buffer, info.byteOffset).getBigUint64(SIGINFO.si_addr, true);
    const regs = task.fetchRegs().slice();
    const accesses = memoryAccesses(task, regs);
    const before = this.watches.map((w) => task.readPartial(w.addr, w.len));
    // Only the faulting page is lifted (and any other protected page the instruction then faults on: it
    // did not run, so it is stepped again); the mappings cannot change meanwhile, so the same
    // protections go back without reading /proc/PID/maps. The SIGSEGV is not delivered: the injection
    // leaves its stop.
    const lifted = new Map<bigint, Protected>();
    const lift = (page: bigint) => {
      const pr = this.pages.get(page)!;
      this.mprotect({ task, at: { kind: 'signal', signal: SIG.SIGSEGV }, pending: 0 }, page, 1n, pr.orig);
      this.pages.delete(page);
      lifted.set(page, pr);
    };
    lift(pageOf(faultAddr));
    let stop: Stop;
    for (;;) {
      task.step();
      stop = waitStop(task.tid);
      // The kernel's SIGCHLD for a replayed child's real exit: replay drops those (the recorded ones come from the trace).
      if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) continue;
      if (stop.kind === 'signal' && stop.signal === SIG.SIGSEGV && this.owns(task)) {
        const again = task.siginfo();
        lift(pageOf(new DataView(again.buffer, again.byteOffset).getBigUint64(SIGINFO.si_addr, true)));
        continue;
      }
      break;
    }
    let hit: Watch | null = null;
    if (stop.kind === 'signal' || stop.kind === 'seccomp' || stop.kind === 'syscall' || stop.kind === 'group-stop') {
      const pending = stop.kind === 'signal' && stop.signal !== SIG.SIGTRAP ? stop.signal : 0;
      for (const [page, pr] of lifted) {
        this.mprotect({ task, at: stop, pending }, page, 1n, pr.prot);
        this.pages.set(page, pr);
      }
      if (stop.kind === 'signal' && stop.signal === SIG.SIGTRAP) {
        hit = this.watches.find((w, i) => touched(w, accesses, faultAddr, before[i]!, task.readPartial(w.addr, w.len))) ?? null;
      }
    }
    if (hit) this.cost.hits++;
    this.cost.ms += performance.now() - t0;
    return { stop, hit };
  }

  describe(): string {
    const c = this.cost;
    return `Software watchpoints (page protection): ${c.faults} fault(s) on watched pages, ${c.hits} hit(s), `
      + `${c.mprotects} mprotect(s) injected, ${c.ms.toFixed(1)} ms`;
  }
}

/**
 * Whether an instruction with these memory operands triggers w the way a debug register would: a
 * write to its bytes for `watch`, any access for `rwatch`/`awatch`. Without decoded operands (an
 * instruction the decoder cannot place), a changed value or a fault address inside the range counts.
 */
function touched(w: Watch, accesses: MemoryAccess[] | null, faultAddr: bigint, before: Uint8Array, after: Uint8Array): boolean {
  const end = w.addr + BigInt(w.len);
  if (accesses) {
    return accesses.some((a) => a.addr < end && w.addr < a.addr + BigInt(a.size) && (w.kind === 'write' ? a.write : a.read || a.write));
  }
  const changed = before.length !== after.length || before.some((b, i) => b !== after[i]);
  return changed || (w.kind !== 'write' && w.addr <= faultAddr && faultAddr < end);
}

/** Consecutive pages with equal values (`same`), as runs. */
function runs<T>(pages: ReadonlyMap<bigint, T>, same: (a: T, b: T) => boolean): { start: bigint; pages: bigint; value: T }[] {
  const out: { start: bigint; pages: bigint; value: T }[] = [];
  for (const p of [...pages.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const v = pages.get(p)!;
    const last = out[out.length - 1];
    if (last && last.start + last.pages * PAGE === p && same(last.value, v)) last.pages++;
    else out.push({ start: p, pages: 1n, value: v });
  }
  return out;
}
