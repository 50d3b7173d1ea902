// gdb reads the recorded program's files from the trace (Host I/O, vFile): a program linked against
// a small shared library built here is recorded; then the executable is deleted and the library
// replaced on disk by another one. gdb, given no program, still gets the executable, the library and
// libc from the trace's copies: their symbols, a breakpoint in the library, the recorded argument;
// and the /proc files of the recorded process (maps with the recorded names, exe, cmdline).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { debugReplay, printed } from '../helpers/gdb-session.js';
import { CFLAGS, explain, programsDir, record, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('gdb-files');
after(() => space.cleanup());

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function gcc(args: string[]): void {
  execFileSync('gcc', ['-Wall', '-Werror', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

describe('gdb reads the program\'s files from the trace', () => {
  const dir = space.mkdir('prog-');
  const exe = path.join(dir, 'usemix');
  const lib = path.join(dir, 'libmix.so');
  let rec: RecordResult;
  let seed = 0;

  before(async () => {
    gcc(['-O0', '-g', '-shared', '-fPIC', '-o', lib, path.join(programsDir, 'sharedlib.c')]);
    gcc([...CFLAGS, '-o', exe, path.join(programsDir, 'sharedlib-main.c'), `-L${dir}`, '-lmix', `-Wl,-rpath,${dir}`]);
    rec = await record(exe, [], { space });
    assert.equal(rec.status, 0, explain(rec));
    const m = /^mix (\d+) -> (\d+)$/m.exec(rec.stdout.toString());
    assert.ok(m, explain(rec));
    seed = Number(m[1]);
    // What is on disk now is not what was recorded: no executable, and a library without shared_mix.
    fs.rmSync(exe);
    fs.rmSync(lib);
    const other = path.join(dir, 'other.c');
    fs.writeFileSync(other, 'int other_function(void) { return 1; }\n');
    gcc(['-O0', '-shared', '-fPIC', '-o', lib, other]);
  });

  test('with the executable deleted and the library replaced, gdb loads both from the trace', async () => {
    process.env.REWIND_GDB_LOG = '1'; // the server logs each file gdb opens
    const { gdb, server } = await debugReplay(null, rec.traceDir, [
      'break shared_mix', 'continue', 'print x', 'info sharedlibrary',
      'echo MARK-MAPS\\n', 'info proc mappings', 'info proc exe', 'info proc cmdline', 'kill',
    ]);
    delete process.env.REWIND_GDB_LOG;
    assert.match(gdb, new RegExp(`Reading symbols from target:${escape(exe)}\\.\\.\\.`), gdb);
    assert.match(gdb, new RegExp(`Breakpoint 1, shared_mix \\(x=${seed}\\) at .*sharedlib\\.c:\\d+\\s+\\d+\\s+.*SHARED-MIX`), gdb);
    assert.deepEqual(printed(gdb), [String(seed)], gdb);
    // Every library with its symbols read, named as the program named it, read from the target.
    assert.match(gdb, new RegExp(`^0x[0-9a-f]+\\s+0x[0-9a-f]+\\s+Yes\\s+target:${escape(lib)}$`, 'm'), gdb);
    assert.match(gdb, /^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes\s+target:\S*\/libc\.so\.6$/m, gdb);
    assert.match(gdb, /^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes\s+target:\S*\/ld-linux-x86-64\.so\.2$/m, gdb);
    // gdb asked for the process's maps (the vDSO's extent, `info proc`) and got them, with the
    // recorded paths where the replay maps the trace's copies.
    assert.doesNotMatch(gdb, /unable to open \/proc file|does not support file transfer|No such file/, gdb);
    const maps = gdb.slice(gdb.indexOf('MARK-MAPS'));
    assert.match(maps, new RegExp(`r-xp\\s+${escape(exe)}$`, 'm'), gdb);
    assert.match(maps, new RegExp(`r-xp\\s+${escape(lib)}$`, 'm'), gdb);
    assert.match(maps, /r-xp\s+\S*\/libc\.so\.6$/m, gdb);
    assert.match(maps, /r-xp\s+\[vdso\]$/m, gdb);
    assert.doesNotMatch(maps, new RegExp(escape(rec.traceDir)), gdb);
    assert.match(maps, new RegExp(`^exe = '${escape(exe)}'$`, 'm'), gdb);
    assert.match(maps, new RegExp(`^cmdline = '${escape(exe)}'$`, 'm'), gdb);
    // The bytes came over vFile from the trace's copies.
    for (const file of [exe, lib]) assert.match(server, new RegExp(`vFile:open ${escape(file)} → fd \\d+`), server);
  });
});
