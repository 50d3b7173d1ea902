// Software watchpoints (page protection) in the debugger engine, on what they must survive
// (pagewatch.c): a signal handler's frame written by the kernel onto a watched stack page, the
// program's own mprotect of a watched page, an emulated read(2) into it, restore points taken and
// restored while going back. Each write of the watched words stops, forwards and backwards; the replay
// never diverges; at every stop the process shows its own permissions in /proc/PID/maps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { R } from '../../src/kernel/regs.js';
import { Timeline } from '../../src/replay/debug/timeline.js';
import type { Watch } from '../../src/replay/debug/marks.js';
import { TraceReader } from '../../src/trace/trace-reader.js';
import { compileTo, explain, programsDir, record, TempSpace } from '../helpers/harness.js';
import { pieSymbol } from '../helpers/trace-edit.js';

const space = new TempSpace('page-watch');
after(() => space.cleanup());

test('software watchpoints on a stack word and an mmap\'d word: every write, both ways, through signals and mprotect', async () => {
  const exe = path.join(space.mkdir('bin-'), 'pagewatch');
  compileTo(path.join(programsDir, 'pagewatch.c'), exe, { flags: ['-O0'] });
  const rec = await record(exe, [], { space });
  assert.equal(rec.status, 0, explain(rec));
  const locals = [...rec.stdout.toString().matchAll(/^pass \d+ local (\d+) page (\d+) handled (\d+)$/gm)];
  assert.equal(locals.length, 4, explain(rec));
  assert.deepEqual(locals.map((m) => Number(m[3])), [1, 2, 3, 4], 'the handler ran once per pass');

  const tl = new Timeline(TraceReader.open(rec.traceDir), { softwareWatch: true });
  try {
    const st = await tl.forward({ breakpoints: [pieSymbol(exe, 'ready')], watches: [] }, null);
    assert.equal(st.kind, 'breakpoint');
    const task = tl.task(st.recTid);
    const where = pieSymbol(exe, 'where');
    const local = task.readU64(where);
    const word = task.readU64(where + 8n);
    const maps = () => readFileSync(`/proc/${task.tgid}/maps`, 'utf8');
    const ownMaps = maps();
    const watches: Watch[] = [{ addr: local, len: 8, kind: 'write' }, { addr: word, len: 8, kind: 'write' }];
    const spec = { breakpoints: [], watches };

    // Forwards: local's and the word's writes alternate, four passes. (After them, main's stack slot is
    // reused once main has returned: gdb would have deleted a watchpoint on a local by then.)
    const expected = locals.flatMap((m): [string, bigint][] => [['local', BigInt(m[1]!)], ['word', BigInt(m[2]!)]]);
    const seen: [string, bigint][] = [];
    while (seen.length < expected.length) {
      const s = await tl.forward(spec, null);
      if (s.kind === 'signal') continue; // SIGUSR1 about to be delivered: the debugger sees it first
      if (s.kind !== 'watch') break;
      seen.push([s.watch.addr === local ? 'local' : 'word', tl.task(s.recTid).readU64(s.watch.addr)]);
      assert.equal(maps(), ownMaps, 'at a stop the maps show the program\'s own permissions');
    }
    assert.deepEqual(seen, expected);

    // Backwards from the last one: the same writes in reverse order, each stopped before its instruction,
    // so the watched word still holds the value before it.
    const back: [string, bigint][] = [];
    for (let i = 0; i < expected.length; i++) {
      const s = await tl.reverseContinue(spec);
      assert.equal(s.kind, 'watch', `reverse-continue ${i + 1} stops at a write`);
      if (s.kind !== 'watch') break;
      const t = tl.task(s.recTid);
      back.push([s.watch.addr === local ? 'local' : 'word', t.readU64(s.watch.addr)]);
      assert.ok(t.fetchRegs()[R.rip]! > 0n);
    }
    const before = expected.map(([k], i) => [k, i === 0 ? 0n : expected.slice(0, i).reverse().find(([k2]) => k2 === k)?.[1] ?? 0n] as [string, bigint]);
    assert.deepEqual(back, before.reverse());
    assert.match(tl.watchCost()!, /Software watchpoints \(page protection\): [1-9]\d* fault/);
  } finally {
    tl.close();
  }
});
