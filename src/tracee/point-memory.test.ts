// pointMemory on a real traced program (test/programs/sigframe.c) stopped inside a signal handler and in
// the restorer: the stack window leaves out the frame's saved EFLAGS, err, trapno and cr2 (the kernel
// fills them from the thread's last fault, which differs at replay) and keeps everything else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import { Struct } from '../kernel/structs.js';
import { SYS } from '../kernel/syscall-names.js';
import { waitStop } from './spawn.js';
import { hashRanges, memoryMatches, pointMemory, STACK_WINDOW } from './point-memory.js';
import type { Task } from './task.js';

const SIGUSR1 = 10;
const SIGTRAP = 5;
const MC = Struct.ucontext.uc_mcontext;

/** Whether a byte at addr is hashed (some range holds it). */
function hashed(task: Task, addr: bigint): boolean {
  return pointMemory(task)!.ranges.some((r) => r.addr <= addr && addr < r.addr + BigInt(r.len));
}

function poke(task: Task, addr: bigint, byte: number): void {
  task.write(addr, new Uint8Array([byte]));
}

test('a signal frame in the stack window: its fault fields are left out, its saved registers are hashed', () => {
  const task = startTraced(compileProgram('sigframe'));
  try {
    const stop = runToSignal(task);
    assert.ok(stop.kind === 'signal' && stop.signal === SIGUSR1, 'raise(SIGUSR1) stops');
    const trap = runToSignal(task, SIGUSR1);
    assert.ok(trap.kind === 'signal' && trap.signal === SIGTRAP, 'the handler\'s int3 stops');
  } catch (e) {
    killTraced(task);
    throw e;
  }
  try {
    const regs = task.fetchRegs();
    const uc = regs[R.rax]!;
    const rsp = regs[R.rsp]!;
    assert.ok(uc > rsp && uc + 232n < rsp + BigInt(STACK_WINDOW), 'the handler\'s frame is inside the window');
    const trapno = uc + BigInt(MC + Struct.sigcontext.trapno);
    const cr2 = uc + BigInt(MC + Struct.sigcontext.cr2);
    const savedRip = uc + BigInt(MC + 128);
    for (const a of [uc + BigInt(MC + Struct.sigcontext.eflags), uc + BigInt(MC + Struct.sigcontext.err), trapno, cr2]) {
      assert.equal(hashed(task, a), false, `0x${a.toString(16)} is left out`);
    }
    assert.equal(hashed(task, savedRip), true, 'the saved rip is hashed');
    assert.equal(hashed(task, rsp), true, 'the top of the stack is hashed');
    const before = pointMemory(task)!;
    const old = task.read(trapno, 1)[0]!;
    poke(task, trapno, old ^ 0xff);
    assert.equal(hashRanges(task, pointMemory(task)!.ranges), before.hash, 'a changed trapno leaves the hash as it was');
    poke(task, trapno, old);
    const r8 = uc + BigInt(MC);
    const oldR8 = task.read(r8, 1)[0]!;
    poke(task, r8, oldR8 ^ 0xff);
    assert.notEqual(hashRanges(task, before.ranges), before.hash, 'a changed saved register changes the hash');
    poke(task, r8, oldR8);

    // Step to the restorer's syscall: the return address is popped, the frame starts at rsp - 8.
    for (let i = 0; i < 10000; i++) {
      task.step();
      waitStop(task.tid);
      const r = task.fetchRegs();
      const code = task.read(r[R.rip]!, 2);
      if (code[0] === 0x0f && code[1] === 0x05 && r[R.rax] === BigInt(SYS.rt_sigreturn)) break;
    }
    const at = task.fetchRegs();
    assert.equal(at[R.rax], BigInt(SYS.rt_sigreturn), 'reached the restorer\'s syscall');
    assert.equal(at[R.rsp], uc, 'rsp is the ucontext: the return address was popped');
    assert.equal(hashed(task, trapno), false, 'trapno is left out in the restorer');
    assert.equal(hashed(task, savedRip), true, 'the saved rip is hashed in the restorer');
    assert.deepEqual(runToSignal(task), { kind: 'exited', code: 0 });
  } finally {
    killTraced(task);
  }
});

test('memoryMatches tells a changed byte in any block, whichever block it tries first, and matches again once it is back', () => {
  const task = startTraced(compileProgram('sigframe'));
  try {
    const stop = runToSignal(task);
    assert.ok(stop.kind === 'signal' && stop.signal === SIGUSR1, 'raise(SIGUSR1) stops');
    task.fetchRegs();
    const point = pointMemory(task)!;
    assert.ok(point.blocks && point.blocks.length >= 2, `${point.blocks?.length} blocks`);
    assert.equal(memoryMatches(task, point), true, 'unchanged memory matches');
    const first = point.ranges[0]!;
    const last = point.ranges[point.ranges.length - 1]!;
    for (const addr of [first.addr, last.addr + BigInt(last.len - 1), first.addr, last.addr + BigInt(last.len - 1)]) {
      const old = task.read(addr, 1)[0]!;
      poke(task, addr, old ^ 0x5a);
      assert.equal(memoryMatches(task, point), false, `a change at 0x${addr.toString(16)} is seen`);
      poke(task, addr, old);
      assert.equal(memoryMatches(task, point), true, 'back as it was, it matches');
    }
    const wholeHashOnly = { ranges: point.ranges, hash: point.hash };
    assert.equal(memoryMatches(task, wholeHashOnly), true, 'a version 10 point (no blocks) is compared by its hash');
  } finally {
    killTraced(task);
  }
});
