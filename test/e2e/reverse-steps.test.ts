// Single steps backwards through a replay, in the debugger engine: the instructions reverse-steps
// visit are exactly the ones forward steps visited, in reverse order, also across system calls and
// over runs far longer than the distance between the fine restore points kept along single steps.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { R } from '../../src/kernel/regs.js';
import { FINE_STEPS } from '../../src/replay/debug/checkpoints.js';
import { Timeline } from '../../src/replay/debug/timeline.js';
import { TraceReader } from '../../src/trace/trace-reader.js';
import { compileTo, explain, record, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('reverse-steps');
after(() => space.cleanup());

const SOURCE = `
#include <unistd.h>
#include <sys/syscall.h>
volatile long sink;
__attribute__((noinline)) void marker(long i) { sink += i; }
int main(void) {
  marker(0);
  for (long i = 0; i < 400; i++) {
    sink = sink * 3 + i;
    // umask(2): a call the syscall buffer leaves to the tracer, so each is an event to cross
    if (i % 10 == 9) sink += syscall(SYS_umask, 022);
  }
  marker(1);
  return 0;
}
`;

/** Where the program's marker() runs: a PIE under ADDR_NO_RANDOMIZE sits at 0x555555554000. */
function markerAddress(exe: string): bigint {
  const nm = execFileSync('nm', [exe]).toString().split('\n').find((l) => / T marker$/.test(l));
  assert.ok(nm, 'marker is in the symbol table');
  return 0x555555554000n + BigInt(`0x${nm.split(' ')[0]}`);
}

test('reverse-steps retrace forward steps exactly, across syscalls and fine restore points', async () => {
  const exe = path.join(space.mkdir('bin-'), 'steps');
  compileTo(SOURCE, exe, { text: true, flags: ['-O0', '-Wl,-z,now'] });
  const rec = await record(exe, [], { space });
  assert.equal(rec.status, 0, explain(rec));
  const marker = markerAddress(exe);

  const tl = new Timeline(TraceReader.open(rec.traceDir), {});
  try {
    const hit = await tl.forward({ breakpoints: [marker], watches: [] }, null);
    assert.equal(hit.kind, 'breakpoint');
    const tid = tl.pid;
    const pc = () => tl.task(tid).fetchRegs()[R.rip]!;
    const forward = [pc()];
    const count = FINE_STEPS * 3 + 77; // several fine restore points; the loop makes syscalls within it
    const startEvent = tl.eventIndex;
    for (let i = 0; i < count; i++) {
      const st = await tl.forward({ breakpoints: [], watches: [] }, tid);
      assert.equal(st.kind, 'step', `forward step ${i}: ${st.kind}`);
      forward.push(pc());
    }
    assert.ok(tl.eventIndex > startEvent, 'the steps crossed system calls');
    const backward = [pc()];
    for (let i = 0; i < count; i++) {
      const st = await tl.reverseStep(tid);
      assert.equal(st.kind, 'step', `reverse step ${i}: ${st.kind}`);
      backward.push(pc());
    }
    assert.deepEqual(backward.map((a) => a.toString(16)), forward.reverse().map((a) => a.toString(16)));
    assert.equal(tl.eventIndex, startEvent, 'back at the event of the first step');
    // And one more back: before the breakpoint at marker(0) is its caller's call instruction.
    const st = await tl.reverseStep(tid);
    assert.equal(st.kind, 'step');
    assert.notEqual(pc(), marker);
  } finally {
    tl.close();
  }
});

const BUFFERED_SOURCE = `
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
volatile long sink;
__attribute__((noinline)) void marker(long i) { sink += i; }
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  marker(0);
  // getppid through syscall(3): buffered, so no event between the markers (unless recorded with
  // --no-syscall-buffer), some sixty instructions each
  for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
  marker(1);
  return 0;
}
`;

test('reverse-steps after 50,000 buffered calls land on the call of marker(1) and the instruction before it', async () => {
  // The instruction before marker's entry is found by single steps from the last event (a flush of
  // the buffer, up to a thousand calls back: tens of thousands of steps); this checks where the steps
  // land, not how long they take.
  const exe = path.join(space.mkdir('bin-'), 'buffered');
  compileTo(BUFFERED_SOURCE, exe, { text: true, flags: ['-O1'] });
  const rec = await record(exe, ['50000'], { space });
  assert.equal(rec.status, 0, explain(rec));
  const marker = markerAddress(exe);
  const tl = new Timeline(TraceReader.open(rec.traceDir), {});
  try {
    const spec = { breakpoints: [marker], watches: [] };
    assert.equal((await tl.forward(spec, null)).kind, 'breakpoint');
    assert.equal((await tl.forward(spec, null)).kind, 'breakpoint', 'marker(1)');
    const tid = tl.pid;
    const task = () => tl.task(tid);
    const ret = task().readU64(task().fetchRegs()[R.rsp]!);
    // Back from marker's entry: main's call of it, which ends at the return address.
    assert.equal((await tl.reverseStep(tid)).kind, 'step');
    const call = task().fetchRegs()[R.rip]!;
    assert.equal(call + 5n, ret, 'at the call instruction (5 bytes) that returns to [rsp]');
    assert.equal(task().readPartial(call, 1)[0], 0xe8, 'a call rel32');
    // Back again: the instruction before the call (mov $1, %edi), then forward twice to marker again.
    assert.equal((await tl.reverseStep(tid)).kind, 'step');
    const before = task().fetchRegs()[R.rip]!;
    assert.ok(before < call && call - before <= 15n, `the instruction before the call: 0x${before.toString(16)}`);
    assert.equal((await tl.forward({ breakpoints: [], watches: [] }, tid)).kind, 'step');
    assert.equal(task().fetchRegs()[R.rip], call, 'stepping forward from there reaches the call');
    assert.equal((await tl.forward({ breakpoints: [], watches: [] }, tid)).kind, 'step');
    assert.equal(task().fetchRegs()[R.rip], marker, 'and marker(1)');
  } finally {
    tl.close();
  }
});
