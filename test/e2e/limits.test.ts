// Resource limits that shape the address space (RLIMIT_STACK, RLIMIT_AS, RLIMIT_DATA) are in force at
// replay as they were at record: the ones the program set itself (setrlimit, prlimit64; its children
// inherit them) and the ones it started with (the shell's `ulimit -s`, kept in meta.json). A replay
// without them recurses to another depth before the stack overflows, or grants a brk the recording was
// refused, and diverges.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertOneLineError, assertRecordedOk, assertReplayMatches, assertStatus } from '../helpers/checks.js';
import { compileProgram, explain, rewind, rewindBin, run, TempSpace, type RecordResult, type RunResult } from '../helpers/harness.js';

const space = new TempSpace('limits');
after(() => space.cleanup());

/** Runs rewind ARGS under `sh -c 'ulimit OPTS; exec rewind ARGS'`. */
function rewindUnder(ulimit: string, args: string[]): Promise<RunResult> {
  return run('/bin/sh', ['-c', `ulimit ${ulimit} && exec "$@"`, 'sh', rewindBin, ...args]);
}

async function recordUnder(ulimit: string, exe: string, args: string[]): Promise<RecordResult> {
  const traceDir = path.join(space.mkdir('trace-'), 'trace');
  const r = await rewindUnder(ulimit, ['record', '-o', traceDir, '--', exe, ...args]);
  return { ...r, traceDir };
}

function depthOf(r: RunResult): number {
  const m = /^depth exactly (\d+)$/m.exec(r.stdout.toString());
  assert.ok(m, `no depth in the output\n${explain(r)}`);
  return Number(m[1]);
}

/** What the program must have seen under the limits it set (every mode lowers DATA and AS itself). */
function assertSawLimits(rec: RunResult, stackKiB: number): void {
  const out = rec.stdout.toString();
  assert.ok(out.includes(`parent stack limit ${stackKiB} KiB\n`), explain(rec));
  assert.ok(out.includes(`child stack limit ${stackKiB} KiB\n`), explain(rec));
  assert.match(out, /^caught the stack overflow on the alternate stack at depth \d+ /m, explain(rec));
  assert.ok(out.includes('brk +256 MiB under a 64 MiB RLIMIT_DATA refused\n'), explain(rec));
  assert.ok(out.includes('mmap 8 GiB under a 4 GiB RLIMIT_AS refused\n'), explain(rec));
  assert.ok(out.includes('child mmap 8 GiB refused\n'), explain(rec));
  assert.ok(out.includes('brk +16 MiB under a 32 MiB RLIMIT_DATA granted\n'), explain(rec));
  assert.ok(out.includes('child mmap 2 GiB after the parent\'s prlimit refused\n'), explain(rec));
  // About 530 bytes a frame: the depth follows the limit (a replay under the default 8 MiB goes ~8 times deeper).
  const depth = depthOf(rec);
  assert.ok(depth > stackKiB * 1.5 && depth < stackKiB * 2.1, `depth ${depth} does not fit a ${stackKiB} KiB stack\n${explain(rec)}`);
}

describe('stackoverflow.c: limits the program sets', () => {
  let exe = '';
  before(() => {
    exe = compileProgram('stackoverflow');
  });

  for (const mode of ['setrlimit', 'raw'] as const) {
    it(`${mode === 'raw' ? 'the setrlimit syscall' : 'setrlimit(3) (prlimit64)'}: 1 MiB stack, overflow caught on the alternate stack; replay -a matches, also under another shell limit`, async () => {
      const rec = await recordUnder('-S -s 8192', exe, [mode]);
      assertRecordedOk(rec, 0);
      assertSawLimits(rec, 1024);
      assertReplayMatches(rec, await rewind(['replay', '-a', rec.traceDir]));
      // The program set its limit itself: the shell's does not matter.
      assertReplayMatches(rec, await rewindUnder('-S -s 4096', ['replay', '-a', rec.traceDir]));
      const dump = await rewind(['dump', rec.traceDir]);
      assertStatus(dump, 0, 'dump');
      const name = mode === 'raw' ? 'setrlimit\\(0x3,' : 'prlimit64\\(0x0, 0x3, 0x[1-9a-f]';
      assert.match(dump.stdout.toString(), new RegExp(`${name}.*= 0x0 \\(executed\\)`), explain(dump));
    });
  }
});

describe('stackoverflow.c: the stack limit the program starts with', () => {
  let exe = '';
  let rec: RecordResult;
  before(async () => {
    exe = compileProgram('stackoverflow');
    rec = await recordUnder('-S -s 2048', exe, ['inherit']);
  });

  it('recorded under `ulimit -s 2048`: meta.json keeps the limits, the program overflowed at 2 MiB', () => {
    assertRecordedOk(rec, 0);
    assertSawLimits(rec, 2048);
    const meta = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as { limits?: Record<string, { soft: string; hard: string }> };
    assert.equal(meta.limits?.['stack']?.soft, String(2048 * 1024), JSON.stringify(meta.limits));
    for (const name of ['as', 'data', 'memlock']) assert.ok(meta.limits?.[name], `no ${name} in ${JSON.stringify(meta.limits)}`);
  });

  for (const shell of ['-S -s 8192', '-S -s 1024', '-S -s unlimited']) {
    it(`replay -a under \`ulimit ${shell}\` matches (the recorded limit is applied)`, async () => {
      assertReplayMatches(rec, await rewindUnder(shell, ['replay', '-a', rec.traceDir]));
    });
  }

  it('started with an unlimited stack (execve lays the address space out bottom-up), then 1 MiB: replay -a under 8 MiB matches', async () => {
    const r = await recordUnder('-S -s unlimited', exe, ['setrlimit']);
    assertRecordedOk(r, 0);
    assertSawLimits(r, 1024);
    const meta = JSON.parse(fs.readFileSync(path.join(r.traceDir, 'meta.json'), 'utf8')) as { limits?: Record<string, { soft: string }> };
    assert.equal(meta.limits?.['stack']?.soft, 'unlimited');
    assertReplayMatches(r, await rewindUnder('-S -s 8192', ['replay', '-a', r.traceDir]));
  });

  it('replay where the hard limit is below the recorded limit: one line naming the limit, exit 125', async () => {
    const r = await rewindUnder('-s 1024', ['replay', '-a', rec.traceDir]);
    assertStatus(r, 125, 'replay');
    assertOneLineError(r, 'replay');
    assert.match(r.stderr.toString(), /RLIMIT_STACK.*2097152 bytes.*hard limit here \(1048576 bytes\)/, explain(r));
  });
});
