// Files a program maps that are gone, or huge and sparse. A memfd or a deleted file is copied while the
// mapping still reaches it, each mapping of it on its own (its inode number may go to another file);
// a 100 GiB file or memfd with a few written pages costs a few pages to record, store, hash and pack.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertDiffer, assertOneLineError, assertRecordedOk, assertReplayMatches, assertStatus } from '../helpers/checks.js';
import { flipBytes } from '../helpers/trace-guard.js';
import { compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('mapped-files');
after(() => space.cleanup());

interface IndexLine { copy: string; path: string; size: number; sha256?: string; 'sha256-blocks'?: string }
function readIndex(traceDir: string): IndexLine[] {
  return fs.readFileSync(path.join(traceDir, 'files.index'), 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l) as IndexLine);
}

/** Bytes the directory's files occupy on disk (allocated blocks, each inode once). */
function diskBytes(dir: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.lstatSync(p, { bigint: true });
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += Number(st.blocks) * 512;
      }
    }
  };
  walk(dir);
  return total;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('gonefiles.c: a memfd and deleted files, read through mappings after their fds are closed', () => {
  let exe = '';
  let dir = '';
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('gonefiles');
    dir = space.mkdir('gone-');
    rec = await record(exe, [dir], { space });
  });

  it('two native runs print different contents (so a replay reading other bytes would show)', async () => {
    const a = await runNative(exe, [space.mkdir('gone-n1-')]);
    const b = await runNative(exe, [space.mkdir('gone-n2-')]);
    assertStatus(a, 0, 'native');
    assertDiffer(a, b, 'gonefiles');
  });

  it('records: every mapping read what was written; each mapping of a file without a name has its own copy', () => {
    assertRecordedOk(rec, 0);
    const out = rec.stdout.toString();
    assert.equal(out.match(/matches what was written: yes\n/g)?.length, 5, explain(rec));
    const paths = readIndex(rec.traceDir).map((e) => e.path);
    assert.equal(paths.filter((p) => p === '/memfd:bar (deleted)').length, 2, paths.join('\n'));
    assert.equal(paths.filter((p) => p.endsWith('/again.dat (deleted)')).length, 3, paths.join('\n'));
    assert.ok(paths.includes('/memfd:grown (deleted)'), paths.join('\n'));
    assert.deepEqual(fs.readdirSync(dir), [], 'the program removed its files');
  });

  it('replay -a matches byte for byte', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('recorded with --pack: replay -a matches', async () => {
    const packed = await record(exe, [space.mkdir('gone-p-')], { space, extraArgs: ['--pack'] });
    assertRecordedOk(packed, 0);
    assertReplayMatches(packed, await replay(packed.traceDir));
  });
});

describe('hugesparse.c: a 100 GiB sparse file and a 100 GiB memfd with a few bytes written', () => {
  let exe = '';
  let dir = '';
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('hugesparse');
    dir = space.mkdir('huge-');
    rec = await record(exe, [dir], { space, timeoutMs: 120_000 });
  });

  it('records quickly, and the trace stays small on disk (holes stay holes, only mapped data is copied)', () => {
    assertRecordedOk(rec, 0);
    const out = rec.stdout.toString();
    assert.match(out, /^file middle window at \d+: "t=\d+" hash/m, explain(rec));
    assert.match(out, /^whole file: "head of the file" "t=\d+" "far out" "the tail" zero at 30 GiB 0$/m, explain(rec));
    assert.match(out, /^memfd start: "memfd page one" "written through the mapping"/m, explain(rec));
    // Copying the holes took minutes and tens of GiB; the data itself is a few pages.
    assert.ok(rec.durationMs < 30_000, `recording took ${Math.round(rec.durationMs)} ms\n${explain(rec)}`);
    const disk = diskBytes(rec.traceDir);
    assert.ok(disk < 16 * MiB, `the trace occupies ${disk} bytes on disk`);
    const big = readIndex(rec.traceDir).filter((e) => e.size === 100 * GiB);
    // The file has a few pages of data: one copy of it (all its data, holes as holes) serves every
    // window; the memfd, without a name, is copied at each of its two mappings.
    assert.match(out, /^executable window(?: refused|: "t=\d+")$/m, explain(rec));
    assert.deepEqual(big.map((e) => e.path.endsWith('/huge.dat')), [true, false, false], JSON.stringify(readIndex(rec.traceDir)));
    for (const e of big) {
      assert.match(e['sha256-blocks'] ?? '', /^[0-9a-f]{64}$/, JSON.stringify(e));
      const st = fs.statSync(path.join(rec.traceDir, 'files', e.copy), { bigint: true });
      assert.equal(st.size, BigInt(100 * GiB), e.copy);
      assert.ok(Number(st.blocks) * 512 <= 64 * 1024, `${e.copy} occupies ${Number(st.blocks) * 512} bytes`);
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'the program removed its file');
  });

  it('replay -a matches (each copy checked against its block hash first)', async () => {
    const rep = await replay(rec.traceDir, { timeoutMs: 120_000 });
    assertReplayMatches(rec, rep);
    assert.ok(rep.durationMs < 30_000, `replay took ${Math.round(rep.durationMs)} ms`);
  });

  it('rewind pack is quick and keeps it small; replay -a of the packed trace matches', async () => {
    const p = await rewind(['pack', rec.traceDir], { timeoutMs: 120_000 });
    assertStatus(p, 0, 'pack');
    assert.ok(p.durationMs < 30_000, `pack took ${Math.round(p.durationMs)} ms`);
    const disk = diskBytes(rec.traceDir);
    assert.ok(disk < 16 * MiB, `the packed trace occupies ${disk} bytes on disk\n${explain(p)}`);
    assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: 120_000 }));
  });

  it('20 MiB of data far from the mapped windows: each copy holds its window only; replay -a matches', async () => {
    const r = await record(exe, [space.mkdir('huge-far-'), 'far'], { space, timeoutMs: 120_000 });
    assertRecordedOk(r, 0);
    assert.match(r.stdout.toString(), /^far: 1 MiB of the 20 window at \d+: "t=\d+" hash/m, explain(r));
    // The windows mapped before the 20 MiB were written share one copy; the two after have their own.
    const big = readIndex(r.traceDir).filter((e) => e.size === 100 * GiB);
    assert.equal(big.length, 3, JSON.stringify(big));
    const allocated = big.map((e) => Number(fs.statSync(path.join(r.traceDir, 'files', e.copy)).blocks) * 512);
    assert.ok(allocated[1]! <= 64 * 1024, `the first far window's copy occupies ${allocated[1]} bytes`);
    assert.ok(allocated[2]! >= MiB && allocated[2]! <= 2 * MiB, `the second far window's copy occupies ${allocated[2]} bytes`);
    assert.ok(diskBytes(r.traceDir) < 16 * MiB, `the trace occupies ${diskBytes(r.traceDir)} bytes on disk`);
    assertReplayMatches(r, await replay(r.traceDir, { timeoutMs: 120_000 }));
  });

  it('mremap growing a window over data its copy left out (20 MiB elsewhere) stops recording with one line', async () => {
    const r = await record(exe, [space.mkdir('huge-mremap-'), 'mremap'], { space, timeoutMs: 120_000 });
    assertStatus(r, 125, 'record');
    assertOneLineError(r, 'record');
    assert.match(r.stderr.toString(), /mremap grew a mapping of \S*huge\.dat beyond the part of the file rewind copied/, explain(r));
    assert.match(r.stdout.toString(), /^window before mremap: "t=\d+"$/m, explain(r));
  });

  it('a byte changed in a hole of a copy is found at replay (the block hash covers the holes)', async () => {
    // After the pack above every copy is private to the trace; flipBytes refuses to write otherwise.
    const e = readIndex(rec.traceDir).find((x) => x.path === '/memfd:huge (deleted)')!;
    flipBytes(rec.traceDir, path.join(rec.traceDir, 'files', e.copy), 30 * GiB);
    const rep = await replay(rec.traceDir, { timeoutMs: 120_000 });
    assertStatus(rep, 125, 'replay of a damaged trace');
    assert.match(rep.stderr.toString(), /memfd:huge \(deleted\).*has changed since it was recorded/, explain(rep));
  });
});

describe('privwrite.c: a file mapped privately, then written', () => {
  it('an append past the mapping and a write after munmap: recorded and replayed as natively', async () => {
    const exe = compileProgram('privwrite');
    const dir = space.mkdir('privwrite-');
    const native = await runNative(exe, [dir]);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, [dir], { space });
    assertRecordedOk(rec, 0);
    assert.equal(rec.stdout.toString(), native.stdout.toString(), explain(rec));
    assert.equal(rec.stdout.toString(), 'mapped aaaa\nafter-append aaaa size 4104\nremapped late\nEXIT-SUCCESS\n');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  it('a pwrite into the mapped page (natively shown through the mapping) stops recording with one line', async () => {
    const exe = compileProgram('privwrite');
    const dir = space.mkdir('privwrite-');
    const native = await runNative(exe, [dir, 'overlap']);
    assert.ok(native.stdout.toString().includes('after-pwrite NEW!\n'), explain(native));
    const rec = await record(exe, [dir, 'overlap'], { space });
    assertStatus(rec, 125, 'record');
    assertOneLineError(rec, 'record');
    assert.match(rec.stderr.toString(), /pwrite64 changed .*privwrite\.dat where process \d+ maps it privately \(MAP_PRIVATE\)/);
    const rep = await replay(rec.traceDir);
    assert.ok(rep.stdout.toString().startsWith('mapped aaaa\nafter-append aaaa size 4104\n'), explain(rep));
  });
});
