// Portable traces: every exec is replayed by building the recorded image from the trace's copies
// (src/syscalls/exec-image.ts), so a packed trace replays where the machine's own dynamic loader and libc
// are other files. Those are replaced in a mount namespace of the test's own (test/programs/bindrun.c:
// bind mounts of a static "impostor" over the loader and libc); rewind itself (node) runs there through
// copies of the real loader and libc made before. A replay that used the machine's loader or libc would
// run the impostor and fail. Only copies of packed traces are ever damaged (test/helpers/trace-guard.ts).

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertOneLineError, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay } from '../helpers/gdb-session.js';
import {
  CFLAGS, compileProgram, compileTo, explain, programsDir, record, replay, rewind, rewindBin, run, stderrLines, TempSpace, which,
  type RecordResult, type RunOptions, type RunResult,
} from '../helpers/harness.js';
import { assertTraceOwns, flipBytes } from '../helpers/trace-guard.js';

const space = new TempSpace('portable');
after(() => space.cleanup());

const LOADER = fs.realpathSync('/lib64/ld-linux-x86-64.so.2');
const LIBC = fs.realpathSync(execFileSync('gcc', ['-print-file-name=libc.so.6'], { encoding: 'utf8' }).trim());
const TIMEOUT = 240_000;

let bindrun: string;
let impostor: string;
let sysCopies: string;

/** Runs `rewind ARGS` where the machine's loader and libc are the impostor (rewind itself runs on copies). */
function inChangedSystem(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(bindrun, [...changedArgs(), process.execPath, rewindBin, ...args], { timeoutMs: TIMEOUT, ...opts });
}

/** bindrun's arguments up to the command: the binds, then the loader copy running with the libc copy. */
function changedArgs(): string[] {
  return [impostor, LOADER, impostor, LIBC, '--', path.join(sysCopies, path.basename(LOADER)), '--library-path', sysCopies];
}

before(() => {
  const bin = space.mkdir('bin-');
  bindrun = path.join(bin, 'bindrun');
  compileTo(path.join(programsDir, 'bindrun.c'), bindrun, { flags: ['-static'] });
  impostor = path.join(bin, 'impostor');
  compileTo('#include <stdio.h>\nint main(void) { puts("IMPOSTOR"); return 99; }\n', impostor, { text: true, flags: ['-static'] });
  sysCopies = space.mkdir('sys-');
  for (const f of [LOADER, LIBC]) fs.copyFileSync(f, path.join(sysCopies, path.basename(f)));
});

/** A packed recording of a dynamically linked program with a library of its own, both in a temp dir. */
async function recordOwnProgram(): Promise<{ rec: RecordResult; dir: string }> {
  const dir = space.mkdir('prog-');
  const lib = path.join(dir, 'libmix.so');
  const exe = path.join(dir, 'usemix');
  execFileSync('gcc', ['-Wall', '-Werror', '-O1', '-shared', '-fPIC', '-o', lib, path.join(programsDir, 'sharedlib.c')]);
  execFileSync('gcc', [...CFLAGS, '-o', exe, path.join(programsDir, 'sharedlib-main.c'), `-L${dir}`, '-lmix', `-Wl,-rpath,${dir}`]);
  const rec = await record(exe, [], { space, traceDir: path.join(space.mkdir('trace-'), 'trace'), extraArgs: ['--pack'] });
  assert.equal(rec.status, 0, explain(rec));
  assert.match(rec.stdout.toString(), /^mix \d+ -> \d+$/m, explain(rec));
  return { rec, dir };
}

describe('the machine\'s loader and libc replaced', () => {
  it('the namespace really replaces them: a dynamically linked program does not run there', async () => {
    const r = await run(bindrun, [impostor, LOADER, impostor, LIBC, '--', '/bin/true']);
    assert.notEqual(r.status, 0, `/bin/true ran with the impostor as its loader\n${explain(r)}`);
    const ok = await run(bindrun, [...changedArgs(), process.execPath, '-e', 'console.log("node runs")']);
    assert.equal(ok.stdout.toString(), 'node runs\n', explain(ok));
  });

  it('a packed trace of a program with its own library replays the same; exec by the kernel would not', async () => {
    const { rec } = await recordOwnProgram();
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', rec.traceDir]));
    // The old way (a real exec of the trace's copy, with the machine's loader) fails there.
    const real = await inChangedSystem(['replay', '-a', rec.traceDir], { env: { ...process.env, REWIND_EXEC: 'real' } });
    assert.notDeepEqual([real.status, real.stdout], [rec.status, rec.stdout], `a real exec replayed with the impostor loader\n${explain(real)}`);
  });

  it('a packed trace moved elsewhere replays after the program and its library are deleted', async () => {
    const { rec, dir } = await recordOwnProgram();
    const info = await rewind(['info', '--json', rec.traceDir]);
    assert.deepEqual((JSON.parse(info.stdout.toString()) as { execsBuilt: boolean; packed: boolean }), { ...(JSON.parse(info.stdout.toString()) as object), execsBuilt: true, packed: true });
    const moved = path.join(space.mkdir('moved-'), 'trace');
    execFileSync('mv', [rec.traceDir, moved]);
    fs.rmSync(dir, { recursive: true, force: true });
    assertReplayMatches(rec, await replay(moved));
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', moved]));
  });

  it('a shell pipeline (several programs, each exec\'d) replays the same there', async () => {
    const script = 'printf "b\\na\\nb\\nc\\n" | sort | uniq -c | tr -s " "; ls / | wc -l';
    const rec = await record('/bin/sh', ['-c', script], { space, extraArgs: ['--pack'] });
    assert.equal(rec.status, 0, explain(rec));
    assert.match(rec.stdout.toString(), /^ 1 a\n 2 b\n 1 c\n\d+\n$/, explain(rec));
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', rec.traceDir]));
  });

  it('a program exec\'d by a 3000-byte path (its initial stack reaches lower than the stub\'s) replays the same', async () => {
    let dir = space.mkdir('deep-');
    for (let i = 0; i < 14; i++) dir = path.join(dir, `${i}`.padStart(200, 'd'));
    fs.mkdirSync(dir, { recursive: true });
    const exe = path.join(dir, 'say-exe');
    compileTo('#include <stdio.h>\n#include <unistd.h>\nint main(int c, char **v) { char b[4096]; ssize_t n = readlink("/proc/self/exe", b, sizeof b - 1); '
      + 'printf("%d %zd %zu\\n", c, n, sizeof(v)); return 0; }\n', exe, { text: true });
    const rec = await record(exe, ['arg'], { space, extraArgs: ['--pack'] });
    assert.equal(rec.status, 0, explain(rec));
    assert.match(rec.stdout.toString(), /^2 \d{4} 8\n$/, explain(rec));
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', rec.traceDir]));
  });

  it('a copy damaged after recording (packed trace): one line naming it, exit 125', async () => {
    const { rec } = await recordOwnProgram();
    const index = fs.readFileSync(path.join(rec.traceDir, 'files.index'), 'utf8').split('\n').filter((l) => l)
      .map((l) => JSON.parse(l) as { copy: string; path: string; size: number });
    const loader = index.find((e) => /ld-linux-x86-64\.so\.2$/.test(e.path));
    assert.ok(loader, `the loader is among the copies: ${index.map((e) => e.path).join(', ')}`);
    const copy = path.join(rec.traceDir, 'files', loader.copy);
    assertTraceOwns(rec.traceDir, copy);
    flipBytes(rec.traceDir, copy, Math.floor(loader.size / 2), 4);
    const rep = await inChangedSystem(['replay', '-a', rec.traceDir]);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay with a damaged loader copy');
    assert.ok(stderrLines(rep)[0]!.includes(copy), explain(rep));
    assert.equal(rep.stdout.length, 0, explain(rep));
  });
});

describe('the vDSO of another kernel', () => {
  it('with this kernel\'s vDSO taken as foreign (REWIND_VDSO=recorded), the recorded one, copied, replays vDSO clock reads', async () => {
    const rec = await record(compileProgram('time'), [], { space, extraArgs: ['--pack'] });
    assert.equal(rec.status, 0, explain(rec));
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', rec.traceDir], { env: { ...process.env, REWIND_VDSO: 'recorded' } }));
  });
});

describe('record --pack -- make -j2, moved, replayed and debugged with the machine\'s loader and libc replaced', () => {
  let rec: RecordResult;
  let moved: string;
  const make = which('make');

  before(async () => {
    assert.ok(make, 'make not found');
    const dir = space.mkdir('make-');
    for (const [i, n] of ['alpha', 'bravo', 'charlie'].entries()) {
      fs.writeFileSync(path.join(dir, `${n}.c`), `int ${n}_value(int x) { return x * ${i + 2}; }\n`);
    }
    fs.writeFileSync(path.join(dir, 'main.c'), '#include <stdio.h>\nint alpha_value(int), bravo_value(int), charlie_value(int);\n'
      + 'int main(void) { printf("sum %d\\n", alpha_value(1) + bravo_value(2) + charlie_value(3)); return 0; }\n');
    fs.writeFileSync(path.join(dir, 'Makefile'), 'all: prog\n\t./prog | tr a-z A-Z\n\nprog: alpha.o bravo.o charlie.o main.o\n'
      + '\tgcc -o $@ $^\n\n%.o: %.c\n\tgcc -O1 -c -o $@ $<\n\n.PHONY: all\n');
    const traceDir = path.join(space.mkdir('make-trace-'), 'trace');
    rec = await record(make!, ['-j2', '-C', dir], { space, traceDir, extraArgs: ['--pack'], timeoutMs: TIMEOUT });
    assert.equal(rec.status, 0, explain(rec));
    assert.match(rec.stdout.toString(), /^SUM 20$/m, explain(rec));
    moved = path.join(space.mkdir('make-moved-'), 'trace');
    execFileSync('mv', [traceDir, moved]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replay -a matches', async () => {
    assertReplayMatches(rec, await inChangedSystem(['replay', '-a', moved]));
  });

  it('gdb: a breakpoint, then reverse-continue back to its previous hit', async () => {
    const { gdb } = await debugReplay(null, moved, [
      'set breakpoint pending on', 'break write', 'continue', 'monitor when', 'continue', 'monitor when',
      'reverse-continue', 'monitor when', 'kill',
    ], { wrap: (cmd, args) => [bindrun, [...changedArgs(), process.execPath, cmd, ...args]] });
    const hits = [...gdb.matchAll(/^Breakpoint 1, [^\n]*write/gm)].length;
    assert.equal(hits, 3, `three stops at write (two forward, one back)\n${gdb}`);
    const events = [...gdb.matchAll(/Current event: (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(events.length, 3, gdb);
    assert.ok(events[0]! < events[1]!, `forward: ${events.join(', ')}\n${gdb}`);
    assert.equal(events[2], events[0], `reverse-continue went back to the first hit: ${events.join(', ')}\n${gdb}`);
  });
});
