// Replay debugging: leaving the syscall buffer's code fast. A thread the debugger takes through the
// buffer's code (a step into a patched site, a watchpoint hit there: the buffer putting a recorded
// output in place) would be single-stepped through the buffer's copy loop — some 25000 steps for a
// 4 KiB read, and with software watchpoints a fault and two mprotects per store into a watched page.
// Inside the buffer's C code the thread runs on the buffer's own stack, where the entry saved the
// program's stack pointer, whose top is the return address of the call into the entry (in a patched
// site's stub, or the vDSO): one run to a temporary int3 there replaces those steps, with the
// watched pages unprotected. Whether the run hit a watchpoint is read from the records the buffer
// consumed on the way (their outputs are all it writes of the program's memory), or from a debug
// register that fired. The few instructions from the return on are stepped as before.
import { R } from '../../kernel/regs.js';
import { SI_KERNEL, SIG } from '../../kernel/signals.js';
import { INT3 } from '../../kernel/x86-insn.js';
import { bufferOf, recordsIn, recordsUsed } from '../../syscallbuf/install.js';
import { recordsOf } from '../../syscallbuf/layout.js';
import { outputRanges } from '../../syscallbuf/records.js';
import { waitStop } from '../../tracee/spawn.js';
import { describeStop, type Stop } from '../../tracee/stop.js';
import { trapCode, type DebugHooks, type DebugTrap } from '../debug-stepping.js';
import { isStopped, type RTask } from '../replayed-task.js';
import { TimelineError } from './timeline-error.js';
import type { ArmedTraps } from './trap-planting.js';

/**
 * Runs t, stopped inside the buffer's C code, to the return of its call of the buffer's entry.
 * Returns the first watchpoint hit on the way (or null), or undefined when it did not run: t is not
 * on the buffer's stack past the entry's switch to it (a few instructions: stepped instead). When the
 * buffer hands the call to the tracer instead, t is left parked at that syscall's seccomp stop.
 */
export function runToBufferCallReturn(t: RTask, hooks: DebugHooks, traps: ArmedTraps): DebugTrap | null | undefined {
  if (!isStopped(t) || t.pendingSig !== 0) return undefined;
  const task = t.task;
  const buffer = bufferOf(task);
  if (buffer === 0n) return undefined;
  const stackTop = recordsOf(buffer); // the buffer's own stack ends where its records begin
  const rsp = task.fetchRegs()[R.rsp]!;
  if (!(rsp > buffer && rsp <= stackTop - 8n)) return undefined;
  const ret = task.readU64(task.readU64(stackTop - 8n));
  const byte = task.readPartial(ret, 1);
  if (byte.length !== 1) return undefined;
  const consumed = recordsUsed(task, buffer);
  let hit: DebugTrap | null = null;
  const lifted = traps.liftPages(t);
  task.write(ret, new Uint8Array([INT3]));
  try {
    for (;;) {
      t.takeResume();
      task.cont();
      const s: Stop = waitStop(task.tid);
      t.saw(s);
      if (s.kind === 'seccomp') {
        // The buffer handed the call to the tracer (no record for it): the replay loop takes that
        // stop as a step onto the syscall instruction would have reached it.
        t.park(s);
        break;
      }
      if (s.kind !== 'signal' || s.signal !== SIG.SIGTRAP) throw leftBadly(t, ret, s);
      const code = trapCode(task);
      if (code === SI_KERNEL && task.fetchRegs()[R.rip] === ret + 1n) {
        task.regs[R.rip] = ret;
        task.storeRegs();
        t.waitToResume(0);
        break;
      }
      // A debug register that fired (the hardware path).
      const trap = hooks.trap(task, t.recTid, code);
      if (trap?.kind === 'watch') hit ??= trap;
      else if (trap && trap.kind !== 'step') throw leftBadly(t, ret, s);
      t.waitToResume(0);
    }
  } finally {
    task.write(ret, byte);
    if (lifted) traps.restorePages(t);
  }
  const after = recordsUsed(task, buffer);
  if (after.count > consumed.count) {
    const data = recordsIn(task, buffer, after.bytes).subarray(consumed.bytes);
    hit ??= hooks.syscallWrote?.(task, t.recTid, outputRanges(data, after.count - consumed.count)) ?? null;
  }
  return hit;
}

function leftBadly(t: RTask, ret: bigint, s: Stop): TimelineError {
  return new TimelineError(`thread ${t.recTid} did not return from the syscall buffer to 0x${ret.toString(16)}: ${describeStop(s)}`);
}
