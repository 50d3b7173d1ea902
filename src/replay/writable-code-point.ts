// Replay: finding a point (a preemption, a signal at an instruction) that lies in writable code, a
// JIT's: V8 keeps its code pages writable and writes code into them while it runs. The plain search's
// int3 at the point may be overwritten by the program before it runs (the search then passes the point
// unseen and meets the next syscall: node's replays diverged about 1 in 6 that way), and putting back
// the byte it replaced would undo the program's newer one. Two searches keep the trap:
//  - a hardware execute breakpoint (debug register 0), where debug registers work: nothing is
//    written; a pass that is not the point goes on with RF set;
//  - elsewhere, the int3 with its page write-protected for the search: a write to the page faults,
//    the int3's byte goes back, the faulting instruction runs with the page's own protection (one
//    step, or a rep string instruction run to a guard int3 after it), and the int3 is planted again
//    over the bytes as the program left them.
// Neither is used under a debugger (its slots, breakpoints and steps): the plain search runs there.
import { PAGE_SIZE, protOfPerms, PROT_WRITE } from '../kernel/mman.js';
import { R } from '../kernel/regs.js';
import { SEGV_ACCERR, SIG, SIGINFO, siginfoCode } from '../kernel/signals.js';
import { SYS } from '../kernel/syscall-names.js';
import { INT3, repStringLength } from '../kernel/x86-insn.js';
import { X86_EFLAGS_RF } from '../kernel/eflags.js';
import { clearSlot, clearStatus, setSlot } from '../tracee/debug-regs.js';
import { injectSyscall } from '../tracee/inject.js';
import { readMaps, type Mapping } from '../tracee/maps.js';
import { waitStop } from '../tracee/spawn.js';
import { describeStop, type Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import { isDebugStop, resumeAndWait } from './debug-stepping.js';
import type { RTask } from './replayed-task.js';

const PAGE = BigInt(PAGE_SIZE);

/** What a search needs of the replay: the point, how to tell it, how to report a divergence. */
export interface PointSearch {
  readonly at: bigint;
  readonly what: string;
  /** Whether the task, stopped with rip at the point and its registers fetched, is at the point. */
  isPoint(task: Task): boolean;
  diverge(message: string): Error;
  readonly maxHits: number;
}

/** The mapping holding `at` when it is writable and executable code (a JIT's), else null. */
export function writableCode(task: Task, at: bigint): Mapping | null {
  const m = readMaps(task.tid).find((x) => x.start <= at && at < x.end);
  return m && m.perms[1] === 'w' && m.perms[2] === 'x' ? m : null;
}

/** Searches with a hardware execute breakpoint at the point; returns once the task stands at it. */
export function searchByDebugRegister(t: RTask, s: PointSearch): void {
  const task = t.task;
  setSlot(task, 0, s.at, 1, 'exec');
  try {
    for (let hits = 0; hits < s.maxHits; hits++) {
      const stop = t.takeParked() ?? resumeAndWait(t, null, s.diverge);
      if (isDebugStop(stop)) throw s.diverge(`recorded task ${t.recTid}: a debugger stop with no debugger before ${s.what}`);
      if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
        t.waitToResume();
        hits--;
        continue;
      }
      if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP) throw s.diverge(`recorded task ${t.recTid} reached ${describeStop(stop)} before ${s.what}`);
      const regs = task.fetchRegs();
      if (regs[R.rip] !== s.at) throw s.diverge(`recorded task ${t.recTid} trapped at 0x${regs[R.rip]!.toString(16)} before ${s.what}`);
      clearStatus(task);
      if (s.isPoint(task)) {
        t.waitToResume();
        return;
      }
      regs[R.eflags] = regs[R.eflags]! | X86_EFLAGS_RF;
      task.storeRegs();
      t.waitToResume();
    }
  } finally {
    clearSlot(task, 0);
  }
  throw s.diverge(`could not find ${s.what} within ${s.maxHits} passes through 0x${s.at.toString(16)}`);
}

/** Whether the stop is a write to `page` that its protection refused. */
function faultOn(task: Task, stop: Stop, page: bigint): boolean {
  if (stop.kind !== 'signal' || stop.signal !== SIG.SIGSEGV) return false;
  const info = task.siginfo();
  if (siginfoCode(info) !== SEGV_ACCERR) return false;
  const addr = new DataView(info.buffer, info.byteOffset).getBigUint64(SIGINFO.si_addr, true);
  return (addr & ~(PAGE - 1n)) === page;
}

/**
 * Searches with an int3 at the point, its page write-protected meanwhile. The task must stand at a
 * plain stop (no signal to deliver, not inside a skipped syscall) that a syscall can be injected at;
 * returns once it stands at the point, its page as the program left it.
 */
export function searchUnderWriteProtection(t: RTask, s: PointSearch, m: Mapping): void {
  const task = t.task;
  const at = s.at;
  const page = at & ~(PAGE - 1n);
  const prot = protOfPerms(m.perms);
  const guarded = prot & ~PROT_WRITE;
  let orig = task.read(at, 1);
  let planted = false;
  let protectedNow = false;
  const protect = (on: boolean) => {
    const r = injectSyscall(task, SYS.mprotect, [page, PAGE, on ? guarded : prot]);
    if (r !== 0n) throw s.diverge(`could not ${on ? 'write-protect' : 'unprotect'} the code page 0x${page.toString(16)} searching for ${s.what} (errno ${-r})`);
    protectedNow = on;
  };
  const plant = () => {
    orig = task.read(at, 1);
    task.write(at, new Uint8Array([INT3]));
    planted = true;
  };
  const unplant = () => {
    task.write(at, orig);
    planted = false;
  };
  /** Runs the instruction at rip (a rep string one to its end), the page's protection lifted if it faults on it. */
  const runOne = () => {
    for (;;) {
      const rip = task.fetchRegs()[R.rip]!;
      const rep = repStringLength(task.readPartial(rip, 16));
      let guard: Uint8Array | null = null;
      if (rep > 0) {
        guard = task.read(rip + BigInt(rep), 1);
        task.write(rip + BigInt(rep), new Uint8Array([INT3]));
        task.cont();
      } else {
        task.step();
      }
      let stop = waitStop(task.tid);
      while (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
        if (rep > 0) task.cont(); else task.step();
        stop = waitStop(task.tid);
      }
      if (guard) task.write(rip + BigInt(rep), guard);
      if (protectedNow && faultOn(task, stop, page)) {
        protect(false);
        continue;
      }
      if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP) throw s.diverge(`recorded task ${t.recTid} reached ${describeStop(stop)} before ${s.what}`);
      if (guard) {
        const regs = task.fetchRegs();
        if (regs[R.rip] !== rip + BigInt(rep) + 1n) throw s.diverge(`recorded task ${t.recTid} trapped at 0x${regs[R.rip]!.toString(16)} before ${s.what}`);
        regs[R.rip] = rip + BigInt(rep);
        task.storeRegs();
      }
      return;
    }
  };
  plant();
  let found = false;
  try {
    protect(true);
    for (let hits = 0; hits < s.maxHits; hits++) {
      task.cont();
      const stop = waitStop(task.tid);
      if (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD) {
        hits--;
        continue;
      }
      if (faultOn(task, stop, page)) {
        // The program writes its code: the write lands on its own bytes, then the int3 goes back.
        hits--;
        unplant();
        protect(false);
        runOne();
        plant();
        protect(true);
        continue;
      }
      if (stop.kind !== 'signal' || stop.signal !== SIG.SIGTRAP) throw s.diverge(`recorded task ${t.recTid} reached ${describeStop(stop)} before ${s.what}`);
      const regs = task.fetchRegs();
      if (regs[R.rip] !== at + 1n) throw s.diverge(`recorded task ${t.recTid} trapped at 0x${regs[R.rip]!.toString(16)} before ${s.what}`);
      regs[R.rip] = at;
      task.storeRegs();
      if (s.isPoint(task)) {
        found = true;
        return;
      }
      // Not this pass: the point's instruction runs on its own bytes (it may write the page itself).
      unplant();
      runOne();
      plant();
      if (!protectedNow) protect(true);
    }
  } finally {
    try {
      if (planted) unplant();
      if (protectedNow) protect(false);
    } catch (e) {
      if (found) throw e; // else the error that ended the search is the one to report
    }
  }
  throw s.diverge(`could not find ${s.what} within ${s.maxHits} passes through 0x${at.toString(16)}`);
}
