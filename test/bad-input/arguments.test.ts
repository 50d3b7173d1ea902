// Bad command lines and missing or unusable traces: rewind says what is wrong in one line on stderr,
// exits non-zero (125 for a trace it cannot use), and never shows a JavaScript stack trace.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertOneLineError, assertRecordedOk } from '../helpers/checks.js';
import { u8, compileProgram, explain, hasStackTrace, record, rewind, TempSpace, type RecordResult } from '../helpers/harness.js';
import { rewriteOwned } from '../helpers/trace-guard.js';

const space = new TempSpace('bad-args');
after(() => space.cleanup());

describe('record: bad programs and arguments', () => {
  it('a program that does not exist: one line, non-zero, no trace left behind as "latest"', async () => {
    const traceRoot = space.mkdir('root-');
    const r = await rewind(['record', '/nonexistent/program'], { env: { ...process.env, REWIND_TRACE_DIR: traceRoot } });
    assert.notEqual(r.status, 0, explain(r));
    assert.equal(r.timedOut, false, explain(r));
    assertOneLineError(r, 'record /nonexistent/program');
    assert.match(r.stderr.toString(), /nonexistent/, explain(r));
    assert.equal(r.stdout.length, 0, explain(r));
    assert.equal(fs.existsSync(path.join(traceRoot, 'latest-trace')), false, `a failed start left a latest-trace behind: ${fs.readdirSync(traceRoot).join(', ')}`);
  });

  it('a program name not on PATH: one line, non-zero', async () => {
    const r = await rewind(['record', 'rewind-no-such-command-xyz']);
    assert.notEqual(r.status, 0, explain(r));
    assertOneLineError(r, 'record of an unknown command');
  });

  it('a file that is not executable: one line, non-zero', async () => {
    const f = path.join(space.mkdir('noexec-'), 'data.txt');
    fs.writeFileSync(f, 'just text\n');
    const r = await rewind(['record', f]);
    assert.notEqual(r.status, 0, explain(r));
    assertOneLineError(r, 'record of a non-executable file');
  });

  it('a directory as the program: one line, non-zero', async () => {
    const r = await rewind(['record', space.mkdir('dir-')]);
    assert.notEqual(r.status, 0, explain(r));
    assertOneLineError(r, 'record of a directory');
  });

  it('no program at all: non-zero, a message, no stack trace', async () => {
    const r = await rewind(['record']);
    assert.notEqual(r.status, 0, explain(r));
    assert.ok(r.stderr.length > 0, explain(r));
    assert.ok(!hasStackTrace(r.stderr.toString()), explain(r));
  });

  it('-o pointing at a non-empty directory: one line, non-zero, the directory untouched', async () => {
    const dir = space.mkdir('full-');
    fs.writeFileSync(path.join(dir, 'precious'), 'keep me');
    const r = await rewind(['record', '-o', dir, '--', compileProgram('exitcode'), '0']);
    assert.notEqual(r.status, 0, explain(r));
    assertOneLineError(r, 'record -o into a non-empty directory');
    assert.deepEqual(fs.readdirSync(dir), ['precious']);
    assert.equal(fs.readFileSync(path.join(dir, 'precious'), 'utf8'), 'keep me');
  });
});

describe('replay/info/dump: missing or unusable traces', () => {
  let good: RecordResult;
  before(async () => {
    good = await record(compileProgram('exitcode'), ['0'], { space });
  });

  /** A copy of the good trace, to damage. */
  function copyOfGood(): string {
    // Damage only a trace that was fine: a failed recording would make these tests pass for nothing.
    assertRecordedOk(good, 0);
    const dst = path.join(space.mkdir('copy-'), 'trace');
    fs.cpSync(good.traceDir, dst, { recursive: true });
    return dst;
  }

  it('(the trace used below records fine)', () => {
    assertRecordedOk(good, 0);
  });

  it('replay of a directory that does not exist: one line, exit 125', async () => {
    const r = await rewind(['replay', '-a', path.join(space.root, 'no-such-trace')]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay of a missing trace');
  });

  it('replay of an empty directory: one line, exit 125', async () => {
    const r = await rewind(['replay', '-a', space.mkdir('empty-')]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay of an empty directory');
  });

  it('replay of a regular file instead of a directory: one line, exit 125', async () => {
    const f = path.join(space.mkdir('file-'), 'not-a-trace');
    fs.writeFileSync(f, 'hello');
    const r = await rewind(['replay', '-a', f]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay of a file');
  });

  it('replay without TRACE when there is no latest trace: one line, non-zero', async () => {
    const r = await rewind(['replay', '-a'], { env: { ...process.env, REWIND_TRACE_DIR: space.mkdir('none-') } });
    assert.notEqual(r.status, 0, explain(r));
    assertOneLineError(r, 'replay with no latest trace');
  });

  it('meta.json missing: one line, exit 125', async () => {
    const t = copyOfGood();
    fs.rmSync(path.join(t, 'meta.json'));
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay without meta.json');
  });

  it('meta.json not JSON: one line, exit 125', async () => {
    const t = copyOfGood();
    rewriteOwned(t, path.join(t, 'meta.json'), '{"format": "rewind-trace", "version": 1, ');
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay with broken meta.json');
  });

  it('meta.json with a future format version: one line mentioning the version, exit 125', async () => {
    const t = copyOfGood();
    const metaPath = path.join(t, 'meta.json');
    const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    meta.version = 999;
    rewriteOwned(t, metaPath, JSON.stringify(meta, null, 2));
    for (const args of [['replay', '-a', t], ['info', t], ['dump', t]]) {
      const r = await rewind(args);
      assert.equal(r.status, 125, explain(r));
      assertOneLineError(r, `${args[0]} of a trace from the future`);
      assert.match(r.stderr.toString(), /999/, `the error should name the version\n${explain(r)}`);
    }
  });

  it('events file missing: one line, exit 125', async () => {
    const t = copyOfGood();
    fs.rmSync(path.join(t, 'events'));
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay without events');
  });

  it('events file empty: one line, exit 125', async () => {
    const t = copyOfGood();
    rewriteOwned(t, path.join(t, 'events'), '');
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay of an empty events file');
  });

  it('events file with a wrong magic number: one line, exit 125', async () => {
    const t = copyOfGood();
    const ev = fs.readFileSync(path.join(t, 'events'));
    ev.write('GARBAGE!', 0, 'latin1');
    rewriteOwned(t, path.join(t, 'events'), u8(ev));
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay of events with a bad magic');
  });

  it('info and dump of a missing trace: one line, non-zero', async () => {
    for (const cmd of ['info', 'dump']) {
      const r = await rewind([cmd, path.join(space.root, 'no-such-trace')]);
      assert.notEqual(r.status, 0, explain(r));
      assertOneLineError(r, `${cmd} of a missing trace`);
    }
  });

  it('the executable copy missing from files/: one line, exit 125', async () => {
    const t = copyOfGood();
    const files = path.join(t, 'files');
    const names = fs.existsSync(files) ? fs.readdirSync(files) : [];
    const exeCopy = names.find((n) => n.includes('exitcode'));
    assert.ok(exeCopy, `no copy of the executable in files/: ${names.join(', ')}`);
    fs.rmSync(path.join(files, exeCopy));
    const r = await rewind(['replay', '-a', t]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'replay without the executable copy');
  });
});
