// The code patcher: where the kernel cannot trap rdtsc, rdtscp and cpuid (or REWIND_SOFTWARE says to
// act as if it could not), rewind replaces them in the program's code with traps it emulates. Tested on
// a program that reads the TSC and CPUID in its executable and in a library it dlopens after start-up,
// and that holds the bytes of those instructions inside other instructions (a byte search would break
// it); the debugger sees the original instructions; the sites of a file are decoded once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay } from '../helpers/gdb-session.js';
import { compileProgram, compileTo, explain, programsDir, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';
import { findSites } from '../../src/patch/decoder.js';
import { functionRanges } from '../../src/patch/elf-code.js';
import { siteStats, sitesOfFile } from '../../src/patch/sites.js';

const space = new TempSpace('patching');
after(() => space.cleanup());

const patchEnv = { ...process.env, REWIND_SOFTWARE: 'tsc,cpuid' };

describe('patchsites.c with a dlopen\'d library, rdtsc and cpuid patched', () => {
  let exe = '';
  let lib = '';
  let rec: RecordResult;
  let dump = '';

  before(async () => {
    exe = compileProgram('patchsites');
    lib = space.path('libpatch.so');
    compileTo(path.join(programsDir, 'patchlib.c'), lib, { flags: ['-shared', '-fPIC'] });
    rec = await record(exe, [lib], { space, env: patchEnv });
    const d = await rewind(['dump', rec.traceDir]);
    assert.equal(d.status, 0, explain(d));
    dump = d.stdout.toString();
  });

  test('native runs read different TSC values; the bait instructions keep their values', async () => {
    const a = await runNative(exe, [lib]);
    const b = await runNative(exe, [lib]);
    assert.equal(a.status, 0, explain(a));
    assert.notEqual(a.stdout.toString(), b.stdout.toString());
    assert.match(a.stdout.toString(), /^bait 00310f00 00a20f00$/m);
  });

  test('records: the program runs as natively (bait intact, TSC in order)', () => {
    assertRecordedOk(rec, 0);
    const out = rec.stdout.toString();
    assert.match(out, /^bait 00310f00 00a20f00$/m, explain(rec));
    assert.match(out, /^tsc-order ok$/m, explain(rec));
    assert.match(out, /^lib-order ok$/m, explain(rec));
  });

  test('the trace says so: patched sites in the executable, the loader and the dlopen\'d library, each read emulated', async () => {
    const info = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as { patched?: string[] };
    assert.deepEqual(info.patched, ['rdtsc', 'cpuid']);
    const patches = dump.split('\n').filter((l) => / patched \d+ sites?: /.test(l));
    assert.ok(patches.length >= 3, `expected patch events for the loader, the executable and the library:\n${patches.join('\n')}`);
    // The library's patch event follows the mmap that made it executable.
    const lines = dump.split('\n');
    const libMap = lines.findIndex((l) => / mmap\(.*file .*libpatch\.so/.test(l) && /0x5,|0x5\)/.test(l));
    assert.ok(libMap >= 0, `no executable mmap of the library in:\n${dump.slice(0, 4000)}`);
    assert.match(lines[libMap + 1] ?? '', / patched \d+ sites?: /, `after ${lines[libMap]}`);
    assert.ok(lines.filter((l) => / rdtsc = /.test(l)).length >= 4, 'rdtsc events');
    assert.ok(lines.some((l) => / rdtscp = /.test(l)), 'an rdtscp event');
    assert.ok(lines.some((l) => / cpuid = /.test(l)), 'cpuid events');
  });

  test('replay -a reproduces every TSC and CPUID value, twice, and in the default mode too', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir, { env: patchEnv }));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('gdb sees the original instructions at a patched site', async () => {
    const { gdb } = await debugReplay(exe, rec.traceDir, ['break read_tsc', 'continue', 'x/3i $pc', 'x/16xb read_tsc'], {});
    assert.match(gdb, /rdtsc/, gdb);
    assert.doesNotMatch(gdb, /ud2/, gdb);
  });
});

describe('finding sites', () => {
  test('the decoder finds the real instructions and not bytes inside others', () => {
    const exe = compileProgram('patchsites');
    const file = fs.readFileSync(exe);
    const sites = findSites(file, functionRanges(file));
    const text = (o: number, n: number) => [...file.subarray(o, o + n)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    assert.ok(sites.length >= 3, `sites: ${JSON.stringify(sites)}`);
    for (const s of sites) assert.match(text(s.offset, 2), /^0f (31|a2|01)$/);
    // The bait: 0f 31 and 0f a2 inside mov immediates (b8+r 00 0f 31 00). A byte search finds them.
    const baitAt: number[] = [];
    for (let i = 0; i + 3 < file.length; i++) {
      if (file[i] === 0x00 && file[i + 1] === 0x0f && (file[i + 2] === 0x31 || file[i + 2] === 0xa2) && file[i + 3] === 0x00 && (file[i - 1]! & 0xf8) === 0xb8) baitAt.push(i + 1);
    }
    assert.equal(baitAt.length, 2, 'the bait is where the test expects it');
    for (const b of baitAt) assert.ok(!sites.some((s) => s.offset === b), `bait at 0x${b.toString(16)} taken for an instruction`);
  });

  test('a file\'s sites are decoded once, then come from the cache', () => {
    const prev = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = space.mkdir('cache-');
    try {
      const exe = compileProgram('patchsites');
      const st = fs.statSync(exe, { bigint: true });
      const id = { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs + 1n }; // an identity not cached in this process
      const decoded = siteStats.decodedFiles;
      const first = sitesOfFile(exe, id);
      assert.equal(siteStats.decodedFiles, decoded + 1);
      const cached = siteStats.cachedFiles;
      const second = sitesOfFile(exe, id);
      assert.equal(siteStats.decodedFiles, decoded + 1, 'decoded again');
      assert.equal(siteStats.cachedFiles, cached + 1);
      assert.deepEqual(second, first);
      assert.ok(fs.readdirSync(path.join(process.env['XDG_CACHE_HOME']!, 'rewind', 'sites')).length >= 1);
    } finally {
      if (prev === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = prev;
    }
  });

  test('a file without code, or not ELF, has no sites', () => {
    assert.deepEqual(functionRanges(new Uint8Array(100)), []);
    assert.deepEqual(findSites(new Uint8Array([0x0f, 0x31, 0x0f, 0xa2]), []), []);
  });
});

describe('a trace recorded with the kernel\'s traps, replayed where they are not used', () => {
  test('replay patches the trapped instructions itself (REWIND_SOFTWARE=tsc,cpuid) and reproduces every value', async (t) => {
    const exe = compileProgram('patchsites');
    const lib = space.path('libpatch-cross.so');
    compileTo(path.join(programsDir, 'patchlib.c'), lib, { flags: ['-shared', '-fPIC'] });
    const env = { ...process.env };
    delete env['REWIND_SOFTWARE'];
    const rec = await record(exe, [lib], { space, env });
    assertRecordedOk(rec, 0);
    const meta = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as { patched?: string[] };
    const trapped = ['rdtsc', 'cpuid'].filter((k) => !(meta.patched ?? []).includes(k));
    if (trapped.length === 0) {
      t.skip('this machine traps neither rdtsc nor cpuid in the kernel: the recording patched both');
      return;
    }
    // The recording has no patch event for what the kernel trapped; replay must find those sites.
    const d = await rewind(['dump', rec.traceDir]);
    assert.equal(d.status, 0, explain(d));
    const ats = [...d.stdout.toString().matchAll(new RegExp(`(${trapped.join('|')})p? = .* @(0x[0-9a-f]+)`, 'g'))];
    assert.ok(ats.length >= 2, `trapped ${trapped.join(', ')} events in the recording:\n${d.stdout.toString().slice(0, 3000)}`);
    assertReplayMatches(rec, await replay(rec.traceDir, { env: patchEnv }));
  });
});

describe('--cpu-features=portable', () => {
  test('CPUID answers hide AVX-512 and the replay reproduces them', async () => {
    const src = `#include <cpuid.h>
#include <stdio.h>
int main(void) {
  unsigned a, b, c, d;
  __cpuid_count(7, 0, a, b, c, d);
  printf("avx512f %d avx2 %d\\n", (b >> 16) & 1, (b >> 5) & 1);
  __cpuid(1, a, b, c, d);
  printf("avx %d\\n", (c >> 28) & 1);
  return 0;
}
`;
    const exe = space.path('cpufeat');
    compileTo(src, exe, { text: true });
    const native = await runNative(exe);
    const dir = path.join(space.mkdir('portable-'), 'trace');
    const r = await rewind(['record', '--cpu-features=portable', '-o', dir, '--', exe], { env: patchEnv });
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout.toString(), /^avx512f 0 /m, explain(r));
    // What a baseline keeps is still what the machine has.
    assert.equal(/avx2 (\d)/.exec(r.stdout.toString())?.[1], /avx2 (\d)/.exec(native.stdout.toString())?.[1]);
    assertReplayMatches(r, await replay(dir, { env: patchEnv }));
    const bad = await rewind(['record', '--cpu-features=fast', '-o', path.join(space.mkdir('bad-'), 't'), '--', exe]);
    assert.equal(bad.status, 2, explain(bad));
    assert.match(bad.stderr.toString(), /--cpu-features must be native or portable/);
  });
});
