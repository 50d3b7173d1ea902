// Where a preemption point's in-process trap may go: the bytes its jump displaces must be entered only
// at their start, and must reach the point (the instructions before it run in the trampoline, which
// jumps back to the displaced bytes' end). The first two cases broke node's replay (a SIGSEGV before
// the point) before the rules were there. Preferably only the point's instruction is displaced, by a
// short jump to padding no code runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../test/helpers/harness.js';
import { killTraced, runToSignal, runToTrap, startTraced } from '../../test/helpers/traced.js';
import { R } from '../kernel/regs.js';
import type { Stop } from '../tracee/stop.js';
import { planPointTrap, trapRegionOf, type PointTrapPlan } from './point-trap.js';

/** The region for the point at fn + off in a function of these bytes, with no padding around it. */
const at = (fn: bigint, bytes: number[], off: number) => {
  const end = fn + BigInt(bytes.length);
  return trapRegionOf(new Uint8Array(bytes), { start: fn, end, before: fn, after: end }, fn + BigInt(off));
};

/** The same with padding around the function: `before` bytes, the function's, `after` bytes. */
const padded = (fn: bigint, before: number[], code: number[], after: number[], off: number) => {
  const end = fn + BigInt(code.length);
  const span = { start: fn, end, before: fn - BigInt(before.length), after: end + BigInt(after.length) };
  return trapRegionOf(new Uint8Array([...before, ...code, ...after]), span, fn + BigInt(off));
};

test('a point at a ret: the displaced bytes run up to it, never stop short of it', () => {
  // v8::internal::GetCurrentStackPosition(): push rbp; mov rbp,rsp; mov rax,rbp; pop rbp; ret
  const code = [0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xe8, 0x5d, 0xc3];
  const r = at(0x1000n, code, 8);
  assert.ok(r, 'the instructions before the ret can be displaced');
  assert.equal(r.start + BigInt(r.length), 0x1008n, 'the displaced bytes end at the point');
  assert.ok(r.length >= 5);
});

test('a point that a branch jumps to is never displaced after other instructions (the branch would pass it unseen)', () => {
  // cc1's gimple_has_side_effects: mov $1,%eax; point: ret; xchg %ax,%ax; cmp $8,%dl; jne point; ret
  const code = [0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0x66, 0x90, 0x80, 0xfa, 0x08, 0x75, 0xf8, 0xc3];
  assert.equal(at(0x1000n, code, 5), null, 'no region ends at the ret: the jne reaches it directly');
  const alone = at(0x1000n, code.slice(0, 6), 5);
  assert.ok(alone, 'without the jne the mov before the ret is displaced');
  assert.equal(alone.start, 0x1000n);
});

test('a point after padding (a switch case reached by an indirect jump) is never inside the displaced bytes', () => {
  // jmp back; nopl (%rax); point: mov rdi,r13; call rel32; mov r12,rax; ret
  const code = [0xe9, 0x00, 0xf0, 0xff, 0xff, 0x0f, 0x1f, 0x00, 0x4c, 0x89, 0xef, 0xe8, 0x00, 0x01, 0x00, 0x00, 0x49, 0x89, 0xc4, 0xc3];
  const r = at(0x2000n, code, 8);
  if (r) assert.equal(r.start, 0x2008n, 'only a region that starts at the point itself');
  // The call after it cannot be displaced, and the bytes before are padding: no trap at all.
  assert.equal(r, null);
});

test('a point in straight-line code gets a region holding it', () => {
  // mov rax,rdi; add rax,rsi; imul rax,rdx; ret
  const code = [0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0x48, 0x0f, 0xaf, 0xc2, 0xc3];
  const r = at(0x3000n, code, 3);
  assert.ok(r);
  assert.ok(r.start <= 0x3003n && r.start + BigInt(r.length) >= 0x3003n);
});

// mov rax,rdi; add rax,rsi; imul rax,rdx; ret
const STRAIGHT = [0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0x48, 0x0f, 0xaf, 0xc2, 0xc3];

test('with padding after the function, only the point\'s instruction is displaced, by a short jump there', () => {
  // nopl 0x0(%rax,%rax,1) (5 bytes) after the ret, before the next function
  const r = padded(0x4000n, [], STRAIGHT, [0x0f, 0x1f, 0x44, 0x00, 0x00], 3);
  assert.deepEqual(r, { start: 0x4003n, length: 3, island: 0x400bn });
});

test('padding before the function serves too; bytes that are not padding never do', () => {
  const before = [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x90]; // nopw; nop
  assert.deepEqual(padded(0x5007n, before, STRAIGHT, [], 6), { start: 0x500dn, length: 4, island: 0x5000n });
  // Seven bytes between the functions that decode as code (mov's): no island, the plain region.
  const code = [0x48, 0x89, 0xc8, 0x48, 0x89, 0xd0, 0xc3];
  const r = padded(0x5007n, code, STRAIGHT, [], 6);
  assert.ok(r && r.island === undefined && r.length >= 5);
});

test('padding inside the function after an unconditional jump serves unless a branch lands in it', () => {
  // jmp +7 (over the padding); nopl 0x0(%rax,%rax,1); nop; nop; point: mov rax,rdi; add rax,rsi; ret
  const fn = [0xeb, 0x07, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x90, 0x90, 0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0xc3];
  assert.deepEqual(at(0x6000n, fn, 12), { start: 0x600cn, length: 3, island: 0x6002n });
  // jmp +5 lands in the padding's last nop... which is then no padding (the jump runs it).
  const landing = [0xeb, 0x05, ...fn.slice(2)];
  assert.equal(at(0x6000n, landing, 12)?.island, undefined);
});

test('padding beyond a short jump\'s reach is not used (a moved neighbour serves instead)', () => {
  const far = [...STRAIGHT.slice(0, 6), ...Array(200).fill(0x90).map(() => [0x48, 0x89, 0xf8]).flat(), 0xc3];
  const r = padded(0x7000n, [], far, [0x0f, 0x1f, 0x44, 0x00, 0x00], 3);
  assert.deepEqual(r, { start: 0x7003n, length: 3, island: 0x700bn, moved: { start: 0x7006n, length: 12 } });
});

test('a loop head only the back edge reaches, with no padding near: a moved neighbour\'s bytes hold the island', () => {
  // gcc's `while` loop (cov-itimer.c's, where a SIGVTALRM landed): the body's first instruction is
  // followed by the test, the jump's target, so no five-byte jump fits at it, and both die() calls
  // before it are calls. The test (mov, cmp, jle: 11 bytes) moves to a trampoline of its own.
  const code = [
    0xb8, 0x00, 0x00, 0x00, 0x00, // 1440 mov eax,0
    0xeb, 0x1c, // 1445 jmp 1463
    0x48, 0x8d, 0x3d, 0xcc, 0x0b, 0x00, 0x00, // 1447 lea rdi,[rip+0xbcc]
    0xe8, 0xb4, 0xfe, 0xff, 0xff, // 144e call die
    0x48, 0x8d, 0x3d, 0xcf, 0x0b, 0x00, 0x00, // 1453 lea rdi,[rip+0xbcf]
    0xe8, 0xa8, 0xfe, 0xff, 0xff, // 145a call die
    0x48, 0x83, 0xc0, 0x01, // 145f add rax,1 (the point)
    0x8b, 0x15, 0x0f, 0x2c, 0x00, 0x00, // 1463 mov edx,[rip+0x2c0f]
    0x83, 0xfa, 0x02, // 1469 cmp edx,2
    0x7e, 0xf1, // 146c jle 145f
    0x8b, 0x15, 0x00, 0x2c, 0x00, 0x00, // 146e mov edx,[rip+0x2c00]
    0x83, 0xfa, 0x02, // 1474 cmp edx,2
    0x7e, 0xe6, // 1477 jle 145f
    0xc3, // 1479 ret
  ];
  assert.deepEqual(at(0x1440n, code, 0x1f), { start: 0x145fn, length: 4, island: 0x1468n, moved: { start: 0x1463n, length: 11 } });
});

/**
 * A test program stopped at its int3 (rbx = its loop's point): a trap is planned there and armed for
 * the registers `target` gives (from those at the int3, rip already the point). check sees the plan.
 * The task then runs on: the trap must stop it; back at the point, the trap is removed and the
 * program runs to its end, which is returned.
 */
function runWithTrap(program: string, target: (regs: BigUint64Array) => void, check: (plan: PointTrapPlan) => void = () => {}):
  { hit: BigUint64Array; end: Stop } {
  const task = startTraced(compileProgram(program));
  try {
    runToTrap(task);
    const regs = task.fetchRegs().slice();
    const point = regs[R.rbx]!;
    const plan = planPointTrap(task, point);
    assert.ok(plan, 'a trap can be armed at the loop head');
    check(plan);
    const want = regs.slice();
    want[R.rip] = point;
    target(want);
    let trap;
    try {
      trap = plan.arm(task, want);
    } finally {
      plan.discard();
    }
    assert.ok(trap, 'armed');
    const s = runToSignal(task);
    assert.deepEqual(s, { kind: 'signal', signal: 5 }, `the trap stops the task (got ${JSON.stringify(s)})`);
    const hit = task.fetchRegs().slice();
    assert.equal(hit[R.rip], trap.hitAddr + 1n, 'the trap in the trampoline');
    task.regs[R.rip] = point; // as the replayer does: back to the point, out of the trampoline, then remove it
    task.storeRegs();
    trap.remove(task);
    return { hit, end: runToSignal(task) };
  } finally {
    killTraced(task);
  }
}

test('a trap armed through a moved neighbour stops at the wanted pass of a live loop, which then runs on unchanged', () => {
  const { hit, end } = runWithTrap('pointloop', (t) => {
    t[R.rax] = 777n;
    t[R.rdx] = t[R.r12]!;
  }, (plan) => assert.equal(plan.ranges.length, 2, 'a neighbour is moved for the island'));
  assert.equal(hit[R.rax], 777n, 'at the 777th pass, not before');
  assert.deepEqual(end, { kind: 'exited', code: 100003 % 128 }, 'the loop ran to its bound, the code as it was');
});

test('a trap\'s trampoline page leaves the heap room to grow: brk calls made while it waits succeed as without it', () => {
  const { hit, end } = runWithTrap('pointheap', (t) => {
    t[R.r13] = 10n;
    t[R.r14] = t[R.r14]! + 10n * 0x20000n;
    t[R.r15] = 0n; // no brk failed before that pass
  });
  assert.equal(hit[R.r13], 10n, 'the 10th pass, reached with every brk before it done');
  assert.deepEqual(end, { kind: 'exited', code: 0 }, 'every brk of the loop succeeded');
});
