// For each C test program whose output differs between two native runs (time, randomness, ids and
// addresses, rdtsc/cpuid, file metadata, system information, readiness and IPC):
//   1. two native runs print different things, so comparing a replay with its recording can fail;
//   2. `rewind record` passes the program's output through (same shape as a native run, same sanity
//      lines, EXIT-SUCCESS) and exits with its status;
//   3. `rewind replay -a` prints the recording's stdout and stderr byte for byte and exits the same.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, labels } from '../helpers/checks.js';
import {
  bytesEqual,
  compileProgram,
  explain,
  record,
  replay,
  runNative,
  TempSpace,
  type RecordResult,
  type RunResult,
} from '../helpers/harness.js';

interface ProgramCase {
  name: string;
  args?: string[];
  /** Lines both a native run and the recording must contain (the program's own sanity checks). */
  sane?: string[];
}

const cases: ProgramCase[] = [
  {
    name: 'time',
    sane: ['realtime-after-2020 yes', 'gettimeofday-consistent yes', 'monotonic-nondecreasing yes'],
  },
  { name: 'random' },
  { name: 'ids', sane: ['tid-equals-pid yes'] },
  { name: 'rdtsc', sane: ['rdtsc-nondecreasing yes'] },
  { name: 'stat', sane: ['listed 8', 'cleaned-up yes'] },
  { name: 'sysinfo' },
  {
    name: 'poll',
    sane: ['poll-data result 1 revents 1', 'select result 1 isset 1', 'read 3 abc', 'peercred pid', 'after-shutdown recv 0'],
  },
];

const space = new TempSpace('nondeterminism');
after(() => space.cleanup());

/** Native runs until two differ (at most 3): a pair that differs proves the comparison can fail. */
async function nativeRunsDiffer(exe: string, args: string[]): Promise<[RunResult, RunResult]> {
  const a = await runNative(exe, args);
  let b = await runNative(exe, args);
  if (bytesEqual(a.stdout, b.stdout)) b = await runNative(exe, args);
  return [a, b];
}

for (const c of cases) {
  describe(`${c.name}.c`, () => {
    const args = c.args ?? [];
    let exe = '';
    let native: [RunResult, RunResult];
    let rec: RecordResult;

    before(async () => {
      exe = compileProgram(c.name);
      native = await nativeRunsDiffer(exe, args);
      rec = await record(exe, args, { space });
    });

    it('prints different things in two native runs', () => {
      for (const r of native) assert.equal(r.status, 0, explain(r));
      assertDiffer(native[0], native[1], c.name);
    });

    it('records: output passed through with the same shape as a native run, status 0', () => {
      assertRecordedOk(rec, 0);
      assert.deepEqual(labels(rec.stdout), labels(native[0].stdout), `line labels differ from a native run\n${explain(rec)}\n${explain(native[0])}`);
      for (const line of c.sane ?? []) {
        assert.ok(native[0].stdout.toString().includes(line), `native run lacks "${line}"\n${explain(native[0])}`);
        assert.ok(rec.stdout.toString().includes(line), `recording lacks "${line}"\n${explain(rec)}`);
      }
    });

    it('replay -a reproduces stdout, stderr and status byte for byte', async () => {
      const rep = await replay(rec.traceDir);
      assertReplayMatches(rec, rep);
    });
  });
}

describe('stdin.c', () => {
  let exe = '';
  const input = Buffer.from(
    Array.from({ length: 2000 }, (_, i) => `stdin line ${i} ${(i * 2654435761) % 1000003}\n`).join(''),
  );
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('stdin');
    rec = await record(exe, [], { space, input });
  });

  it('prints different things for different input (data vs /dev/null)', async () => {
    const withData = await runNative(exe, [], { input });
    const empty = await runNative(exe, []);
    assert.equal(withData.status, 0, explain(withData));
    assert.ok(withData.stdout.toString().includes(`stdin length ${input.length} `), explain(withData));
    assert.ok(empty.stdout.toString().includes('stdin length 0 '), explain(empty));
    assertDiffer(withData, empty, 'stdin');
  });

  it('records with stdin piped in: the program sees all of it', () => {
    assertRecordedOk(rec, 0);
    assert.ok(rec.stdout.toString().includes(`stdin length ${input.length} `), explain(rec));
    assert.ok(rec.stdout.toString().includes('first line: stdin line 0 0\n'), explain(rec));
  });

  it('replays with stdin = /dev/null and still prints what the recording read', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('replays with stdin closed and still prints what the recording read', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir, { stdin: 'closed' }));
  });

  it('replays with different data on stdin and ignores it', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir, { input: 'something else entirely\n' }));
  });
});
