// Real, dynamically linked programs from the system: ls, date, cat, gzip, python3.
// Record must pass their output through unchanged; replay -a must reproduce it byte for byte, even
// after the input files are gone.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, assertStatus } from '../helpers/checks.js';
import { bytesEqual, u8, explain, findPython, mixedContent, record, replay, runNative, TempSpace, which } from '../helpers/harness.js';

const space = new TempSpace('real');
after(() => space.cleanup());

/** A real program recorded and replayed: status 0, replay matches. Returns the recording. */
async function recordAndReplay(cmd: string, args: string[]): Promise<Awaited<ReturnType<typeof record>>> {
  const rec = await record(cmd, args, { space, timeoutMs: 120_000 });
  assertStatus(rec, 0, 'record');
  assert.equal(rec.leftovers, false, explain(rec));
  assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: 120_000 }));
  return rec;
}

describe('real programs', () => {
  it('ls -l /usr/lib: record prints what a native run prints; replay -a matches', async () => {
    const ls = which('ls');
    assert.ok(ls, 'ls not found');
    const native = await runNative(ls, ['-l', '/usr/lib']);
    assert.equal(native.status, 0, explain(native));
    const rec = await recordAndReplay(ls, ['-l', '/usr/lib']);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record output differs from native ls\n${explain(rec)}\n${explain(native)}`);
  });

  it('date with nanoseconds: two native runs differ; replay -a prints the recorded time', async () => {
    const date = which('date');
    assert.ok(date, 'date not found');
    const fmt = '+%Y-%m-%dT%H:%M:%S.%N %s';
    const a = await runNative(date, [fmt]);
    const b = await runNative(date, [fmt]);
    assertDiffer(a, b, 'date');
    const rec = await recordAndReplay(date, [fmt]);
    assert.match(rec.stdout.toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \d+\n$/, explain(rec));
    // And the plain format, which reads the time zone files.
    await recordAndReplay(date, []);
  });

  it('cat of a file: record prints the file; replay -a prints it after the file is deleted', async () => {
    const cat = which('cat');
    assert.ok(cat, 'cat not found');
    const file = path.join(space.mkdir('cat-'), 'input.txt');
    const content = mixedContent(200 * 1024, 3);
    fs.writeFileSync(file, u8(content));
    const rec = await record(cat, [file], { space });
    assertStatus(rec, 0, 'record');
    assert.ok(bytesEqual(rec.stdout, content), `record output is not the file's content\n${explain(rec)}`);
    fs.rmSync(file);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('gzip -c of a generated file: record output equals native gzip; replay -a matches after the input is deleted', async () => {
    const gzip = which('gzip');
    assert.ok(gzip, 'gzip not found (the CI script installs it)');
    const file = path.join(space.mkdir('gzip-'), 'input.dat');
    fs.writeFileSync(file, u8(mixedContent(3 * 1024 * 1024, 5)));
    const native = await runNative(gzip, ['-c', file]);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(gzip, ['-c', file], { space, timeoutMs: 120_000 });
    assertStatus(rec, 0, 'record');
    assert.ok(bytesEqual(rec.stdout, native.stdout), `recorded gzip output (${rec.stdout.length} bytes) differs from native (${native.stdout.length} bytes)\n${explain(rec, 300)}`);
    fs.rmSync(file);
    assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: 120_000 }));
  });

  const python = findPython();
  it('python3 printing time.time(), random.random(), os.urandom(8): native runs differ; replay -a matches', { skip: python ? false : 'no ELF python3 in /usr/bin or /usr/local/bin (the CI script installs one)' }, async () => {
    const script = 'import time, random, os\nprint(time.time())\nprint(random.random())\nprint(os.urandom(8).hex())\nprint("EXIT-SUCCESS")';
    const args = ['-S', '-c', script];
    const a = await runNative(python!, args);
    const b = await runNative(python!, args);
    assert.equal(a.status, 0, explain(a));
    assertDiffer(a, b, 'python3');
    const rec = await recordAndReplay(python!, args);
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /^\d+\.\d+\n0\.\d+\n[0-9a-f]{16}\nEXIT-SUCCESS\n$/, explain(rec));
  });

  it('python3 with site imports (reads many files): replay -a matches', { skip: python ? false : 'no ELF python3' }, async () => {
    const script = 'import json, hashlib, time\nprint(json.dumps({"t": time.time(), "h": hashlib.sha256(str(time.time_ns()).encode()).hexdigest()}))';
    await recordAndReplay(python!, ['-c', script]);
  });
});
