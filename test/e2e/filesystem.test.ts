// Replay emulates system calls: it must not touch the file system, and it must not depend on files
// the recording used still being there or unchanged (the data files, a mapped file, the executable).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import {
  compileTo,
  concatBytes,
  u8,
  compileProgram,
  explain,
  mixedContent,
  programsDir,
  record,
  replay,
  runNative,
  snapshotDir,
  TempSpace,
  type RecordResult,
} from '../helpers/harness.js';

const space = new TempSpace('filesystem');
after(() => space.cleanup());

describe('files.c: replay leaves the file system untouched', () => {
  let exe = '';
  let dirA = '';
  let rec: RecordResult;
  let afterRecord: string[] = [];

  before(async () => {
    exe = compileProgram('files');
    dirA = space.mkdir('files-A-');
    rec = await record(exe, [dirA], { space });
    afterRecord = snapshotDir(dirA);
  });

  it('prints different things in two native runs (inodes, mtimes)', async () => {
    const a = await runNative(exe, [space.mkdir('files-n1-')]);
    const b = await runNative(exe, [space.mkdir('files-n2-')]);
    assert.equal(a.status, 0, explain(a));
    assert.equal(b.status, 0, explain(b));
    assertDiffer(a, b, 'files');
  });

  it('recording changed the directory as the program says', () => {
    assertRecordedOk(rec, 0);
    const names = afterRecord.map((l) => l.split(' ')[0]);
    assert.deepEqual(names, ['kept.txt', 'sub', 'sub/inner.txt', 'sub/renamed.txt'], afterRecord.join('\n'));
    assert.equal(fs.readFileSync(path.join(dirA, 'sub/inner.txt'), 'utf8'), 'inner file, rewritten below\nappended line\n');
    assert.ok(rec.stdout.toString().includes('after-unlink scratch.txt exists no\n'), explain(rec));
  });

  it('replay -a matches the recording and leaves the directory exactly as it was (names, sizes, mtimes, inodes, content)', async () => {
    const before = snapshotDir(dirA);
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.deepEqual(snapshotDir(dirA), before, 'replay changed the directory the recording wrote to');
  });

  it('replay -a does not change the trace directory either', async () => {
    const before = snapshotDir(rec.traceDir);
    assertReplayMatches(rec, await replay(rec.traceDir));
    assert.deepEqual(snapshotDir(rec.traceDir), before, 'replay changed the trace directory');
  });

  it('after the directory is emptied, replay -a still matches and recreates nothing', async () => {
    for (const name of fs.readdirSync(dirA)) fs.rmSync(path.join(dirA, name), { recursive: true, force: true });
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.deepEqual(fs.readdirSync(dirA), [], 'replay created files in the emptied directory');
  });

  it('after the directory itself is removed, replay -a still matches and does not recreate it', async () => {
    fs.rmSync(dirA, { recursive: true, force: true });
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.equal(fs.existsSync(dirA), false, 'replay recreated the directory');
  });
});

describe('mmapfile.c: a mapped file rewritten after recording', () => {
  let exe = '';
  let file = '';
  const original = mixedContent(300 * 1024, 11);
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('mmapfile');
    file = path.join(space.mkdir('mmap-'), 'data.txt');
    fs.writeFileSync(file, u8(concatBytes([Buffer.from('the ORIGINAL first line\n'), original])));
    rec = await record(exe, [file], { space });
  });

  it('records what the file held', () => {
    assertRecordedOk(rec, 0);
    assert.ok(rec.stdout.toString().includes('mmap first line: the ORIGINAL first line\n'), explain(rec));
    assert.ok(rec.stdout.toString().includes('pread first line: the ORIGINAL first line\n'), explain(rec));
  });

  it('rewritten in place (same inode, same size): native output changes, replay -a still matches the recording', async () => {
    const nativeBefore = await runNative(exe, [file]);
    const fd = fs.openSync(file, 'r+');
    const replacement = concatBytes([Buffer.from('the REWRITTEN first line\n'), mixedContent(300 * 1024, 99)]);
    fs.writeSync(fd, u8(replacement), 0, replacement.length, 0);
    fs.closeSync(fd);
    const nativeAfter = await runNative(exe, [file]);
    assertDiffer(nativeBefore, nativeAfter, 'mmapfile');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('replaced by another file (rename over it) and then deleted: replay -a still matches', async () => {
    const other = `${file}.new`;
    fs.writeFileSync(other, 'a short replacement\n');
    fs.renameSync(other, file);
    assertReplayMatches(rec, await replay(rec.traceDir));
    fs.rmSync(file);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

describe('the recorded executable deleted or replaced after recording', () => {
  const variantSrc = path.join(programsDir, 'variant.c');

  async function recordVariant1(): Promise<{ exe: string; rec: RecordResult }> {
    const dir = space.mkdir('exe-');
    const exe = path.join(dir, 'variant');
    compileTo(variantSrc, exe, { flags: ['-DVARIANT=1'] });
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /^variant 1 random [0-9a-f]{16}\n/, explain(rec));
    return { exe, rec };
  }

  it('deleted: replay -a still matches', async () => {
    const { exe, rec } = await recordVariant1();
    fs.rmSync(exe);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('rebuilt by gcc from different source at the same path: replay -a still matches', async () => {
    const { exe, rec } = await recordVariant1();
    compileTo(variantSrc, exe, { flags: ['-DVARIANT=2'] });
    const now = await runNative(exe);
    assert.equal(now.status, 2, `the rebuilt program should be variant 2\n${explain(now)}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('overwritten in place (same inode, like cp) with a different program: replay -a still matches', async () => {
    const { exe, rec } = await recordVariant1();
    const inode = fs.statSync(exe).ino;
    const v2 = path.join(space.mkdir('v2-'), 'variant2');
    compileTo(variantSrc, v2, { flags: ['-DVARIANT=2'] });
    fs.writeFileSync(exe, u8(fs.readFileSync(v2))); // O_TRUNC on the same inode
    assert.equal(fs.statSync(exe).ino, inode);
    const now = await runNative(exe);
    assert.equal(now.status, 2, `the overwritten program should be variant 2\n${explain(now)}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});
