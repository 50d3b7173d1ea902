// Output order of processes writing to one stdout (stdoutorder.c: four processes, atomic 2 KiB lines)
// whose reader is slow (slowreader.c: 64 KiB every 300 ms), so writers wait for it together and the
// kernel may take their bytes in any order. The recorder lets a write to its stdout enter the kernel
// only once earlier ones waiting there have ended, so the events are in the order the bytes went out,
// and replay re-emits them in that order: 20 rounds, byte for byte.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertDiffer } from '../helpers/checks.js';
import { compileProgram, explain, replay, rewindBin, run, runNative, shellStatus, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('output-order');
after(() => space.cleanup());
const ROUNDS = 20;

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

describe('four processes writing to one stdout read slowly (stdoutorder.c | slowreader.c)', () => {
  test(`${ROUNDS} rounds: the replay prints the lines in the order the recording's reader got them`, async () => {
    const exe = compileProgram('stdoutorder');
    const reader = compileProgram('slowreader');
    const a = await runNative(exe, ['60', '2048']);
    const b = await runNative(exe, ['60', '2048']);
    assert.equal(a.status, 0, explain(a));
    assertDiffer(a, b, 'stdoutorder');
    for (let round = 1; round <= ROUNDS; round++) {
      const dir = space.mkdir('round-');
      const trace = path.join(dir, 'trace');
      const out = path.join(dir, 'out');
      const rec = await run('/bin/sh', ['-c', `${q(rewindBin)} record -o ${q(trace)} -- ${q(exe)} 60 2048 | ${q(reader)} ${q(out)} 300 65536`],
        { timeoutMs: 120_000 });
      assert.equal(shellStatus(rec), 0, `round ${round}: record\n${explain(rec)}`);
      const recorded = fs.readFileSync(out);
      assert.equal(recorded.length, 4 * 60 * 2048 + 'EXIT-SUCCESS\n'.length, `round ${round}`);
      const rep = await replay(trace, { timeoutMs: 120_000 });
      assert.equal(shellStatus(rep), 0, `round ${round}: replay\n${explain(rep)}`);
      if (!rep.stdout.equals(recorded)) {
        const lines = (buf: Buffer): string[] => buf.toString().split('\n').map((l) => l.split(' ').slice(0, 4).join(' '));
        const r = lines(recorded);
        const p = lines(rep.stdout);
        const i = r.findIndex((l, k) => l !== p[k]);
        assert.fail(`round ${round}: replay's order differs from the recording's at line ${i}: recorded "${r[i]}", replayed "${p[i]}"`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
