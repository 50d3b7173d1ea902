// Tests for recorded-files.ts: which of the trace's copies a name means (recorded path, the host's
// links, a unique file name), and which copy when several answer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { FileRef, TraceEvent } from '../../trace/events.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import { RecordedFiles } from './recorded-files.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'rewind-recorded-files-')));
after(() => rmSync(root, { recursive: true, force: true }));

/** A trace directory's files/ holding `copies`, and events naming them: [event index, FileRef]. */
function fakeTrace(filesDir: string, named: [number, FileRef][], exec?: Partial<TraceEvent & { kind: 'exec' }>): TraceReader {
  mkdirSync(filesDir, { recursive: true });
  for (const [, ref] of named) if (ref.copy !== '') writeFileSync(join(filesDir, ref.copy), 'x'.repeat(Number(ref.size)));
  const events: unknown[] = [];
  for (const [at, ref] of named) {
    while (events.length < at) events.push({ kind: 'exit', tid: 1 });
    events.push(events.length === 0 && exec ? { kind: 'exec', ...exec, exe: ref, interp: null } : { kind: 'syscall', file: ref });
  }
  return { filesDir, events: () => events[Symbol.iterator]() } as unknown as TraceReader;
}

function ref(path: string, copy: string, size = 4): FileRef {
  return { path, copy, dev: 1n, ino: 2n, size: BigInt(size), mtimeNs: 0n };
}

const real = join(root, 'real');
mkdirSync(real);
writeFileSync(join(real, 'libbar.so.1.0'), '');
mkdirSync(join(root, 'alias'));
symlinkSync('../real/libbar.so.1.0', join(root, 'alias', 'libbar.so.1'));

const files = join(root, 'trace', 'files');
const reader = fakeTrace(files, [
  [0, ref('/usr/bin/prog', '1-prog')],
  [1, ref('/dev/zero', '')],
  [3, ref('/usr/lib/libc.so.6', '2-libc.so.6')],
  [10, ref('/usr/lib/libc.so.6', '3-libc.so.6')], // replaced while the program ran
  [11, ref('/opt/x/libfoo.so.1.2', '4-libfoo.so.1.2')],
  [12, ref('/a/plugin.so', '5-plugin.so')],
  [13, ref('/b/plugin.so', '6-plugin.so')],
  [14, ref(join(real, 'libbar.so.1.0'), '7-libbar.so.1.0')],
]);
const copy = (name: string) => join(files, name);

test('a recorded path, normalised, is its copy; relative names and unknown files are not served', () => {
  const f = new RecordedFiles(reader);
  const none = new Set<string>();
  assert.equal(f.find('/usr/bin/prog', none, 0)?.copy, copy('1-prog'));
  assert.equal(f.find('/usr//bin/../bin/./prog', none, 0)?.copy, copy('1-prog'));
  assert.equal(f.find('usr/bin/prog', none, 0), null);
  assert.equal(f.find('/etc/passwd', none, 0), null);
  assert.equal(f.find('/dev/zero', none, 0), null); // recorded, but it has no copy
  assert.equal(f.all().length, 7);
  assert.equal(f.ofCopy(copy('4-libfoo.so.1.2'))?.ref.path, '/opt/x/libfoo.so.1.2');
  assert.equal(f.ofCopy('/opt/x/libfoo.so.1.2'), undefined);
});

test('the name the program used: through the host\'s links, or a file name no other recorded file has', () => {
  const f = new RecordedFiles(reader);
  const none = new Set<string>();
  assert.equal(f.find(join(root, 'alias', 'libbar.so.1'), none, 20)?.copy, copy('7-libbar.so.1.0'));
  assert.equal(f.find('/lib/elsewhere/libfoo.so.1.2', none, 20)?.copy, copy('4-libfoo.so.1.2'));
  // Two recorded files are called plugin.so: only the one mapped now can be meant.
  assert.equal(f.find('/c/plugin.so', none, 20), null);
  assert.equal(f.find('/c/plugin.so', new Set([copy('6-plugin.so')]), 20)?.copy, copy('6-plugin.so'));
  assert.equal(f.find('/a/plugin.so', none, 20)?.copy, copy('5-plugin.so')); // its own path is exact
});

test('several copies of one path: the one mapped now, else the newest by the current event', () => {
  const f = new RecordedFiles(reader);
  const none = new Set<string>();
  assert.equal(f.find('/usr/lib/libc.so.6', none, 0)?.copy, copy('2-libc.so.6')); // before both: the first
  assert.equal(f.find('/usr/lib/libc.so.6', none, 5)?.copy, copy('2-libc.so.6'));
  assert.equal(f.find('/usr/lib/libc.so.6', none, 10)?.copy, copy('3-libc.so.6'));
  assert.equal(f.find('/usr/lib/libc.so.6', new Set([copy('2-libc.so.6')]), 20)?.copy, copy('2-libc.so.6'));
  assert.equal(f.find('/lib/libc.so.6', none, 20)?.copy, copy('3-libc.so.6')); // by file name too
});

test('a versioned library by the name the program asked for: its DT_SONAME', () => {
  const dir = join(root, 'soname');
  const lib = ref('/opt/y/libsoname.so.7.1.2', '1-libsoname.so.7.1.2');
  const r = fakeTrace(join(dir, 'files'), [[0, lib], [1, ref('/opt/y/libother.so', '2-libother.so')]]);
  writeFileSync(join(dir, 'lib.c'), 'int f(void) { return 1; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libsoname.so.7', '-o', join(dir, 'files', lib.copy), join(dir, 'lib.c')]);
  const f = new RecordedFiles(r);
  assert.equal(f.find('/usr/lib/libsoname.so.7', new Set(), 5)?.ref.path, '/opt/y/libsoname.so.7.1.2');
  assert.equal(f.find('/usr/lib/libsoname.so.8', new Set(), 5), null);
  assert.equal(f.find('/usr/lib/libother.so.1', new Set(), 5), null); // 'x's: no ELF, no SONAME
});
