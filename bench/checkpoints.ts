// Benchmark of restore points: the cost of copyProcess (a frozen copy of a stopped traced process,
// src/tracee/fork-copy.ts) and of discarding it, for one thread with about 100 MB touched, one thread
// with about 1 MB of data, and four threads. Medians of 7 copies each.
//   npm run build && node dist/bench/checkpoints.js
import assert from 'node:assert/strict';
import { discardCopy } from '../src/tracee/fork-copy.js';
import { copyOf, finish, gone, start, toMarker, type Driver } from '../src/tracee/fork-copy.test-util.js';

function timeCopies(d: Driver, tids: number[], n: number): { copy: number[]; discard: number[] } {
  const copy: number[] = [];
  const discard: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const c = copyOf(d, tids);
    const t1 = process.hrtime.bigint();
    discardCopy(c);
    copy.push(Number(t1 - t0) / 1e6);
    discard.push(Number(process.hrtime.bigint() - t1) / 1e6);
    assert.ok(gone(c.pid));
  }
  return { copy, discard };
}

function report(what: string, r: { copy: number[]; discard: number[] }): void {
  console.log(`${what}: copyProcess ${summary(r.copy)}; discardCopy ${summary(r.discard)}`);
}

function summary(ms: number[]): string {
  const s = [...ms].sort((x, y) => x - y);
  return `median ${s[s.length >> 1]!.toFixed(2)} ms (min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}, n=${ms.length})`;
}

function main(): void {
  const big = start('ckpt-loop', ['100']);
  const m = toMarker(big);
  report('1 thread, ~100 MB touched', timeCopies(big, [m.tid], 7));
  finish(big);

  const small = start('ckpt-loop');
  const s = toMarker(small);
  report('1 thread, ~1 MB data', timeCopies(small, [s.tid], 7));
  finish(small);

  const th = start('ckpt-threads', ['3']);
  const main = toMarker(th);
  th.stopOthers(main.tid);
  const tids = [main.tid, ...[...th.tasks.keys()].filter((x) => x !== main.tid)];
  report('4 threads', timeCopies(th, tids, 7));
  finish(th);
}

main();
