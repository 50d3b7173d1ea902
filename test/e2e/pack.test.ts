// Self-contained traces and the integrity of their file copies: files.index (size + SHA-256 per copy),
// replay refusing a changed copy in one line, `rewind pack` (private copies, identical ones stored once,
// idempotent), `record --pack`, a packed trace tarred, moved and replayed after the program was
// deleted, `info` (packed, machine facts) and the warning for CPU features the replay machine lacks.
// The programs are linked statically where they are replayed (their replay does not depend on this
// machine's dynamic loader). Only files the trace owns are ever damaged (test/helpers/trace-guard.ts).

import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCpuinfo } from '../../src/trace/machine.js';
import { assertOneLineError, assertRecordedOk, assertReplayMatches, isPrefix } from '../helpers/checks.js';
import {
  compileTo,
  explain,
  findPython,
  programsDir,
  record,
  replay,
  rewind,
  snapshotDir,
  stderrLines,
  TempSpace,
  type RecordResult,
} from '../helpers/harness.js';
import { assertTraceOwns, flipBytes, rewriteOwned } from '../helpers/trace-guard.js';

const space = new TempSpace('pack');
after(() => space.cleanup());

const TWIN = `
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  printf("%s argc %d\\n", argc > 1 ? "first" : "twin", argc);
  fflush(stdout);
  if (argc > 1) {
    char *args[] = { argv[1], NULL };
    execv(argv[1], args);
    perror("execv");
    return 1;
  }
  printf("EXIT-SUCCESS\\n");
  return 0;
}
`;

/** A system file (under /usr, so the recorder hard-links it when it can) for mmapfile to map. */
const SYSTEM_FILE = fs.realpathSync('/usr/bin/env');

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface IndexLine { copy: string; path: string; size: number; sha256: string }
function readIndex(traceDir: string): IndexLine[] {
  return fs.readFileSync(path.join(traceDir, 'files.index'), 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l) as IndexLine);
}

/** Names in files/ grouped by inode. */
function inodes(traceDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of fs.readdirSync(path.join(traceDir, 'files'))) {
    const st = fs.statSync(path.join(traceDir, 'files', n), { bigint: true });
    const k = `${st.dev}:${st.ino}`;
    out.set(k, [...(out.get(k) ?? []), n]);
  }
  return out;
}

/** Every copy in files/ has all its names inside the trace. */
function assertAllPrivate(traceDir: string): void {
  for (const names of inodes(traceDir).values()) {
    const st = fs.statSync(path.join(traceDir, 'files', names[0]!));
    assert.equal(st.nlink, names.length, `${names.join(', ')}: ${st.nlink} links, ${names.length} in the trace`);
  }
}

async function info(traceDir: string): Promise<{ packed: boolean; files: { copies: number; sharedWithSystem: number; hashed: boolean }; machine: { cpu: { vendor: string; name: string; family: number | null; model: number | null; flags: string[] }; libc: string | null; kernelRelease: string } | null }> {
  const r = await rewind(['info', '--json', traceDir]);
  assert.equal(r.status, 0, explain(r));
  return JSON.parse(r.stdout.toString()) as never;
}

let mmapStatic: string;
let twinDir: string;
let twinA: string;
let twinB: string;
/** Whether a trace in the temp space can hard-link SYSTEM_FILE (same file system). */
let linkable: boolean;

before(() => {
  const bin = space.mkdir('bin-');
  mmapStatic = path.join(bin, 'mmapfile-static');
  compileTo(path.join(programsDir, 'mmapfile.c'), mmapStatic, { flags: ['-static'] });
  twinDir = space.mkdir('twins-');
  twinA = path.join(twinDir, 'twin-a');
  twinB = path.join(twinDir, 'twin-b');
  compileTo(TWIN, twinA, { text: true, flags: ['-static'] });
  fs.copyFileSync(twinA, twinB); // same content, another inode
  fs.chmodSync(twinB, 0o755);
  linkable = fs.statSync(space.root).dev === fs.statSync(SYSTEM_FILE).dev;
});

describe('files.index and replay verification', () => {
  it('recording lists every copy in files.index with its size and SHA-256', async () => {
    const rec = await record(mmapStatic, [SYSTEM_FILE], { space });
    assertRecordedOk(rec, 0);
    const index = readIndex(rec.traceDir);
    assert.deepEqual(index.map((e) => e.copy).sort(), fs.readdirSync(path.join(rec.traceDir, 'files')).sort());
    for (const e of index) {
      const copy = path.join(rec.traceDir, 'files', e.copy);
      assert.equal(e.size, fs.statSync(copy).size, e.copy);
      assert.equal(e.sha256, sha256(copy), e.copy);
    }
    assert.ok(index.some((e) => e.path === SYSTEM_FILE), `the mapped ${SYSTEM_FILE} is in the index: ${JSON.stringify(index)}`);
    assert.ok(index.some((e) => e.path === mmapStatic), JSON.stringify(index));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  for (const how of ['record --pack', 'rewind pack']) {
    it(`a private copy damaged after ${how}: replay says which in one line, exit 125; pack refuses it`, async () => {
      const traceDir = path.join(space.mkdir('damage-'), 'trace');
      const rec = await record(mmapStatic, [SYSTEM_FILE], { space, traceDir, extraArgs: how === 'record --pack' ? ['--pack'] : [] });
      assertRecordedOk(rec, 0);
      if (how === 'rewind pack') {
        const p = await rewind(['pack', traceDir]);
        assert.equal(p.status, 0, explain(p));
      }
      const systemBefore = sha256(SYSTEM_FILE);
      const entry = readIndex(traceDir).find((e) => e.path === SYSTEM_FILE);
      assert.ok(entry, 'the system file has a copy');
      const copy = path.join(traceDir, 'files', entry.copy);
      assertTraceOwns(traceDir, copy); // private: damaging it cannot touch the system's file
      flipBytes(traceDir, copy, Math.floor(entry.size / 2), 4);
      assert.equal(sha256(SYSTEM_FILE), systemBefore, 'the system file is untouched');

      const rep = await replay(traceDir);
      assert.equal(rep.status, 125, explain(rep));
      assertOneLineError(rep, 'replay of a trace with a damaged copy');
      const line = stderrLines(rep)[0]!;
      assert.ok(line.includes(copy), `the error names the damaged copy ${copy}\n${explain(rep)}`);
      assert.match(line, /changed|damaged/, explain(rep));
      assert.ok(isPrefix(rep.stdout, rec.stdout), `replay printed something the recording did not\n${explain(rep)}`);
      assert.ok(!rep.stdout.toString().includes('mmap hash'), `replay went on past the mapping of the damaged copy\n${explain(rep)}`);

      const p = await rewind(['pack', traceDir]);
      assert.equal(p.status, 125, explain(p));
      assertOneLineError(p, 'pack of a damaged trace');
      assert.ok(stderrLines(p)[0]!.includes(copy), explain(p));
    });
  }

  it('the executable\'s copy damaged: replay runs nothing, names it, exit 125', async () => {
    const traceDir = path.join(space.mkdir('damage-exe-'), 'trace');
    const rec = await record(twinA, [], { space, traceDir, extraArgs: ['--pack'] });
    assertRecordedOk(rec, 0);
    const entry = readIndex(traceDir).find((e) => e.path === twinA)!;
    const copy = path.join(traceDir, 'files', entry.copy);
    flipBytes(traceDir, copy, 100, 1);
    const rep = await replay(traceDir);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay with a damaged executable copy');
    assert.ok(stderrLines(rep)[0]!.includes(copy), explain(rep));
    assert.equal(rep.stdout.length, 0, explain(rep));
  });

  it('a trace without files.index or machine facts (an older recording) replays, packs and gets an index', async () => {
    const rec = await record(mmapStatic, [SYSTEM_FILE], { space });
    assertRecordedOk(rec, 0);
    const t = rec.traceDir;
    const want = readIndex(t);
    fs.rmSync(path.join(t, 'files.index'));
    const metaPath = path.join(t, 'meta.json');
    const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    delete meta['machine'];
    rewriteOwned(t, metaPath, JSON.stringify(meta, null, 2));
    assertReplayMatches(rec, await replay(t));
    const before = await info(t);
    assert.equal(before.files.hashed, false);
    assert.equal(before.machine, null);
    const text = await rewind(['info', t]);
    assert.match(text.stdout.toString(), /no hashes/, explain(text));
    assert.match(text.stdout.toString(), /not recorded/, explain(text));
    const p = await rewind(['pack', t]);
    assert.equal(p.status, 0, explain(p));
    assert.deepEqual(readIndex(t).sort((a, b) => a.copy.localeCompare(b.copy)), want.sort((a, b) => a.copy.localeCompare(b.copy)));
    assertReplayMatches(rec, await replay(t));
  });
});

describe('rewind pack', () => {
  let rec: RecordResult;
  before(async () => {
    rec = await record(mmapStatic, [SYSTEM_FILE], { space });
  });

  it('makes hard links to system files private copies; a second pack changes nothing', async () => {
    assertRecordedOk(rec, 0);
    const t = rec.traceDir;
    const entry = readIndex(t).find((e) => e.path === SYSTEM_FILE)!;
    const copy = path.join(t, 'files', entry.copy);
    const sys = fs.statSync(SYSTEM_FILE);
    const before = await info(t);
    if (linkable) {
      assert.equal(fs.statSync(copy).ino, sys.ino, 'on the same file system the recorder hard-links the system file');
      assert.equal(before.packed, false);
      assert.equal(before.files.sharedWithSystem, 1);
      assert.match((await rewind(['info', t])).stdout.toString(), /^packed\s+no\b/m);
    }
    const p = await rewind(['pack', t]);
    assert.equal(p.status, 0, explain(p));
    assert.notEqual(fs.statSync(copy).ino, sys.ino);
    assert.equal(fs.statSync(SYSTEM_FILE).ino, sys.ino, 'the system file is still the same file');
    assert.equal(sha256(copy), entry.sha256);
    assertAllPrivate(t);
    const after = await info(t);
    assert.equal(after.packed, true);
    assert.equal(after.files.sharedWithSystem, 0);
    assert.match((await rewind(['info', t])).stdout.toString(), /^packed\s+yes\b/m);

    const snap = snapshotDir(t);
    const again = await rewind(['pack', t]);
    assert.equal(again.status, 0, explain(again));
    assert.match(again.stderr.toString(), /already packed/, explain(again));
    assert.deepEqual(snapshotDir(t), snap, 'a second pack changed the trace');
    assertReplayMatches(rec, await replay(t));
  });

  it('stores identical copies once (two identical executables exec\'d one after the other)', async () => {
    for (const extraArgs of [[], ['--pack']]) {
      const traceDir = path.join(space.mkdir('twins-'), 'trace');
      const r = await record(twinA, [twinB], { space, traceDir, extraArgs });
      assertRecordedOk(r, 0);
      assert.match(r.stdout.toString(), /^first argc 2\ntwin argc 1\n/, explain(r));
      const copies = readIndex(traceDir);
      assert.equal(copies.length, 2, JSON.stringify(copies));
      assert.equal(copies[0]!.sha256, copies[1]!.sha256);
      if (extraArgs.length === 0) {
        assert.equal(inodes(traceDir).size, 2, 'without --pack each executable has its own copy');
        const p = await rewind(['pack', traceDir]);
        assert.equal(p.status, 0, explain(p));
        assert.match(p.stderr.toString(), /1 stored once/, explain(p));
      }
      const groups = [...inodes(traceDir).values()];
      assert.equal(groups.length, 1, `one file for both copies (${extraArgs.join(' ') || 'rewind pack'}): ${JSON.stringify(groups)}`);
      assert.equal(fs.statSync(path.join(traceDir, 'files', copies[0]!.copy)).nlink, 2);
      assertAllPrivate(traceDir);
      assert.equal((await info(traceDir)).packed, true);
      assertReplayMatches(r, await replay(traceDir));
    }
  });

  it('a packed trace, tarred and unpacked elsewhere, replays after the program and the original trace are gone', async () => {
    const work = space.mkdir('move-');
    const prog = path.join(work, 'mmapfile-moving');
    fs.copyFileSync(mmapStatic, prog);
    fs.chmodSync(prog, 0o755);
    const traceDir = path.join(work, 'trace');
    const r = await record(prog, [SYSTEM_FILE], { space, traceDir });
    assertRecordedOk(r, 0);
    const p = await rewind(['pack', traceDir]);
    assert.equal(p.status, 0, explain(p));
    const tarball = path.join(space.mkdir('tar-'), 'trace.tar');
    execFileSync('tar', ['-C', work, '-cf', tarball, 'trace']);
    fs.rmSync(work, { recursive: true, force: true }); // the program and the trace
    const elsewhere = space.mkdir('elsewhere-');
    execFileSync('tar', ['-C', elsewhere, '-xf', tarball]);
    const moved = path.join(elsewhere, 'trace');
    assert.equal((await info(moved)).packed, true);
    assertReplayMatches(r, await replay(moved));
  });

  it('an interrupted pack (a half-written temporary left in files/) is finished by the next one', async () => {
    const r = await record(mmapStatic, [SYSTEM_FILE], { space, extraArgs: [] });
    assertRecordedOk(r, 0);
    const t = r.traceDir;
    const files = path.join(t, 'files');
    const exe = readIndex(t).find((e) => e.path === mmapStatic)!;
    // What a pack killed midway leaves: a half-written temporary next to the copies it was replacing.
    fs.writeFileSync(path.join(files, `.pack-${exe.copy}`), 'half a copy');
    assertReplayMatches(r, await replay(t)); // readers ignore the temporary
    const p = await rewind(['pack', t]);
    assert.equal(p.status, 0, explain(p));
    assert.deepEqual(fs.readdirSync(files).filter((n) => n.startsWith('.')), [], 'the temporary is gone');
    assertAllPrivate(t);
    for (const e of readIndex(t)) assert.equal(sha256(path.join(files, e.copy)), e.sha256, e.copy);
    assertReplayMatches(r, await replay(t));
  });

  const python = findPython();
  it('python3: a packed recording holds the interpreter\'s libraries, moves and replays elsewhere', { skip: python ? false : 'no ELF python3 in /usr/bin or /usr/local/bin (the CI script installs one)' }, async () => {
    assert.ok(python);
    const work = space.mkdir('py-');
    const traceDir = path.join(work, 'trace');
    const script = 'import hashlib, json; print(json.dumps({"h": hashlib.sha256(b"rewind").hexdigest()}))';
    const r = await record(python, ['-c', script], { space, traceDir, timeoutMs: 180_000 });
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout.toString(), /"h": "[0-9a-f]{64}"/, explain(r));
    const p = await rewind(['pack', traceDir], { timeoutMs: 120_000 });
    assert.equal(p.status, 0, explain(p));
    assertAllPrivate(traceDir);
    const index = readIndex(traceDir);
    assert.ok(index.some((e) => /\/libc\.so\.6$/.test(e.path)), `libc is among the copies: ${index.map((e) => e.path).join(', ')}`);
    const tarball = path.join(space.mkdir('py-tar-'), 'trace.tar');
    execFileSync('tar', ['-C', work, '-cf', tarball, 'trace']);
    fs.rmSync(work, { recursive: true, force: true });
    const elsewhere = space.mkdir('py-elsewhere-');
    execFileSync('tar', ['-C', elsewhere, '-xf', tarball]);
    assertReplayMatches(r, await replay(path.join(elsewhere, 'trace'), { timeoutMs: 180_000 }));
  });

  it('pack of something that is not a trace: one line, exit 125', async () => {
    const r = await rewind(['pack', space.mkdir('not-a-trace-')]);
    assert.equal(r.status, 125, explain(r));
    assertOneLineError(r, 'pack of an empty directory');
  });
});

describe('the recording machine', () => {
  it('info shows the CPU, its features, the kernel and libc of the recording machine', async () => {
    const rec = await record(twinA, [], { space });
    assertRecordedOk(rec, 0);
    const here = parseCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    const m = (await info(rec.traceDir)).machine;
    assert.ok(m, 'meta.json has the machine');
    assert.equal(m.cpu.vendor, here.vendor);
    assert.equal(m.cpu.name, here.name);
    assert.equal(m.cpu.family, here.family);
    assert.deepEqual(m.cpu.flags, here.flags);
    assert.equal(m.kernelRelease, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    assert.match(m.libc ?? '', /^glibc \d+\.\d+/);
    const text = (await rewind(['info', rec.traceDir])).stdout.toString();
    assert.ok(text.includes(here.name), text);
    assert.match(text, /^cpu features\s+.*\bsse2\b/m);
    assert.match(text, /^libc\s+glibc \d+\.\d+/m);
  });

  it('replay warns in one line, before running anything, about a recorded CPU feature this CPU lacks', async () => {
    const rec = await record(twinA, [], { space });
    assertRecordedOk(rec, 0);
    const here = parseCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8')).flags;
    const absent = ['amx_tile', 'avx512_fp16', 'avx512f', 'sha_ni', 'avx2'].find((f) => !here.includes(f));
    assert.ok(absent, 'this CPU lacks one of the candidate features');
    const metaPath = path.join(rec.traceDir, 'meta.json');
    const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as { machine: { cpu: { flags: string[] } } };
    meta.machine.cpu.flags.push(absent, 'some_flag_that_does_not_matter');
    rewriteOwned(rec.traceDir, metaPath, JSON.stringify(meta, null, 2));
    const rep = await replay(rec.traceDir);
    assert.equal(rep.status, 0, explain(rep));
    assert.deepEqual(rep.stdout, rec.stdout, explain(rep));
    const lines = stderrLines(rep);
    assert.equal(lines.length, 1, explain(rep));
    assert.match(lines[0]!, new RegExp(`^rewind: warning: this CPU lacks ${absent},`), explain(rep));
    assert.ok(!lines[0]!.includes('some_flag_that_does_not_matter'), explain(rep));
    // Without the extra feature there is no warning.
    meta.machine.cpu.flags = meta.machine.cpu.flags.filter((f) => f !== absent);
    rewriteOwned(rec.traceDir, metaPath, JSON.stringify(meta, null, 2));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});
