// Reverse-continue in the debugger engine over a program that calls marker(i) between long runs of
// system calls: going back stops at every call the forward run stopped at, in reverse order, whether
// the stretches between them are re-executed (a breakpoint set only now) or skipped because the
// forward run already crossed them with the breakpoint armed; and a breakpoint in libc, going back
// from a restore point taken before libc was mapped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { R } from '../../src/kernel/regs.js';
import { Timeline } from '../../src/replay/debug/timeline.js';
import { TraceReader } from '../../src/trace/trace-reader.js';
import { compileTo, explain, record, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('reverse-continue');
after(() => space.cleanup());

const CALLS = 3;
const SOURCE = `
#include <unistd.h>
#include <sys/syscall.h>
volatile long sink;
__attribute__((noinline)) void marker(long i) { sink += i; }
__attribute__((noinline)) void never(void) { sink = -1; }
int main(int argc, char **argv) {
  for (long i = 0; i < ${CALLS}; i++) {
    marker(i);
    // umask(2): a call the syscall buffer leaves to the tracer, so each is an event to cross
    for (int j = 0; j < 30000; j++) syscall(SYS_umask, 022);
  }
  if (argc > 5) never();
  return 0;
}
`;

function symbol(exe: string, name: string): bigint {
  const line = execFileSync('nm', [exe]).toString().split('\n').find((l) => l.endsWith(` T ${name}`));
  assert.ok(line, `${name} is in the symbol table`);
  // PIE under ADDR_NO_RANDOMIZE: the executable sits at 0x555555554000.
  return 0x555555554000n + BigInt(`0x${line.split(' ')[0]}`);
}

test('reverse-continue stops at every call the forward run stopped at, skipping known stretches or not', async () => {
  const exe = path.join(space.mkdir('bin-'), 'calls');
  compileTo(SOURCE, exe, { text: true, flags: ['-O1'] });
  const rec = await record(exe, [], { space });
  assert.equal(rec.status, 0, explain(rec));
  const marker = symbol(exe, 'marker');
  const armed = { breakpoints: [marker], watches: [] };

  const tl = new Timeline(TraceReader.open(rec.traceDir), {});
  try {
    const arg = () => Number(tl.task(tl.pid).fetchRegs()[R.rdi]!);
    const forward: [number, number][] = [];
    for (let i = 0; i < CALLS; i++) {
      const st = await tl.forward(armed, null);
      assert.equal(st.kind, 'breakpoint', `call ${i}`);
      forward.push([arg(), tl.eventIndex]);
    }
    assert.deepEqual(forward.map(([a]) => a), [0, 1, 2]);
    assert.equal((await tl.forward(armed, null)).kind, 'history', 'to the end');

    const back = async (spec: typeof armed) => {
      const seen: [number, number][] = [];
      for (let i = 0; i < CALLS; i++) {
        const st = await tl.reverseContinue(spec);
        assert.equal(st.kind, 'breakpoint', `going back, call ${CALLS - 1 - i}: ${st.kind}`);
        seen.push([arg(), tl.eventIndex]);
      }
      assert.equal((await tl.reverseContinue(spec)).kind, 'history', 'then the start of the history');
      return seen.reverse();
    };
    // The forward run crossed every stretch with the breakpoint armed: going back skips them.
    assert.deepEqual(await back(armed), forward);
    assert.ok(tl.quietSkips > 0, 'known stretches were skipped');
    // A breakpoint set only now (never() is never called): every stretch is re-executed.
    const skips = tl.quietSkips;
    assert.equal((await tl.forward({ breakpoints: [], watches: [] }, null)).kind, 'history');
    assert.deepEqual(await back({ breakpoints: [marker, symbol(exe, 'never')], watches: [] }), forward);
    assert.equal(tl.quietSkips, skips, 'nothing skipped for a set never run forward');
  } finally {
    tl.close();
  }
});

const LIBC_SOURCE = `
#include <stdio.h>
#include <sys/stat.h>
int main(void) {
  printf("%p\\n", (void *)umask); /* its address in libc (PIE, -z now: from the GOT) */
  fflush(stdout);
  for (int i = 0; i < 3; i++) umask(022 + i);
  return 0;
}
`;

test('reverse-continue to a breakpoint in libc re-executes from before libc was mapped and stops at each hit', async () => {
  // A short replay keeps only the restore point at the start, where libc is not mapped yet: the
  // breakpoint goes in once ld.so has mapped it, or going back finds no hit at all.
  const exe = path.join(space.mkdir('bin-'), 'libc-calls');
  compileTo(LIBC_SOURCE, exe, { text: true, flags: ['-O1', '-Wl,-z,now'] });
  const rec = await record(exe, [], { space });
  assert.equal(rec.status, 0, explain(rec));
  const umask = BigInt(rec.stdout.toString().trim());
  assert.ok(umask > 0x7f0000000000n, `umask is in libc: 0x${umask.toString(16)}`);
  const armed = { breakpoints: [umask], watches: [] };
  const tl = new Timeline(TraceReader.open(rec.traceDir), {});
  try {
    const arg = () => Number(tl.task(tl.pid).fetchRegs()[R.rdi]!);
    const forward: number[] = [];
    for (let i = 0; i < 3; i++) {
      const st = await tl.forward(armed, null);
      assert.equal(st.kind, 'breakpoint', `call ${i}: ${st.kind}`);
      forward.push(arg());
    }
    assert.deepEqual(forward, [0o22, 0o23, 0o24]);
    const back: number[] = [];
    for (let i = 0; i < 2; i++) {
      const st = await tl.reverseContinue(armed);
      assert.equal(st.kind, 'breakpoint', `going back, call ${1 - i}: ${st.kind}`);
      back.push(arg());
    }
    assert.deepEqual(back, [0o23, 0o22]);
    assert.equal((await tl.reverseContinue(armed)).kind, 'history', 'then the start of the history');
  } finally {
    tl.close();
  }
});
