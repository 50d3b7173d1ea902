// Tests for program-files.ts: what a debugger can open through Host I/O — the recorded files and the
// debugged process's /proc files under its recorded ids — and that nothing else of the host is
// served. This test's own process stands in for the replayed one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TargetError } from '../../gdb/index.js';
import type { FileRef } from '../../trace/events.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import type { Task } from '../../tracee/task.js';
import { ProgramFiles } from './program-files.js';

const root = mkdtempSync(join(tmpdir(), 'rewind-program-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

const RECORDED_PID = 999_999;
const files = join(root, 'files');
mkdirSync(files);
writeFileSync(join(files, '1-prog'), '\x7fELF-the-recorded-program');
const exe: FileRef = { path: '/usr/bin/prog', copy: '1-prog', dev: 1n, ino: 2n, size: 25n, mtimeNs: 1_650_000_000_123_456_789n };
const exec = { kind: 'exec', tid: RECORDED_PID, argv: ['prog', '--flag', 'a b'], exe, interp: null };
const reader = { filesDir: files, events: () => [exec][Symbol.iterator]() } as unknown as TraceReader;
const self = { tgid: process.pid, tid: process.pid } as Task;
const view = {
  pid: RECORDED_PID,
  threads: () => [RECORDED_PID],
  task: () => self,
  execEvent: () => exec as never,
  eventIndex: 3,
};
const text = async (data: Uint8Array | Promise<Uint8Array>) => new TextDecoder().decode(await data);

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TargetError, String(e));
    return e.errno;
  }
  assert.fail('no error');
}

test('the recorded files and the process\'s maps, cmdline and exe, under the recorded pid', async () => {
  const pf = new ProgramFiles(view, reader);
  const prog = pf.open('/usr/bin/prog');
  assert.equal(prog.size, 25);
  assert.equal(prog.mtime, 1_650_000_000);
  assert.equal(await text(prog.read(1, 3)), 'ELF');
  assert.equal(await text(prog.read(20, 100)), 'ogram');
  assert.equal((await prog.read(25, 10)).length, 0);
  for (const maps of [`/proc/${RECORDED_PID}/maps`, `/proc/${RECORDED_PID}/task/${RECORDED_PID}/maps`]) {
    const f = pf.open(maps);
    const shown = await text(f.read(0, f.size));
    assert.match(shown, /^[0-9a-f]+-[0-9a-f]+ r/);
    assert.match(shown, /\[stack\]/);
  }
  const cmdline = pf.open(`/proc/${RECORDED_PID}/cmdline`);
  assert.equal(await text(cmdline.read(0, 100)), 'prog\0--flag\0a b\0');
  assert.equal(await text(pf.open(`/proc/${RECORDED_PID}/exe`).read(0, 4)), '\x7fELF');
  assert.equal(pf.readLink(`/proc/${RECORDED_PID}/exe`), '/usr/bin/prog');
  assert.equal(pf.readLink(`/proc/${RECORDED_PID}/task/${RECORDED_PID}/exe`), '/usr/bin/prog');
});

test('nothing else: other processes, other /proc files, host files, links that are not there', () => {
  const pf = new ProgramFiles(view, reader);
  const ENOENT = 2;
  for (const path of [
    '/etc/passwd', '/proc/self/maps', `/proc/${process.pid}/maps`, `/proc/${RECORDED_PID + 1}/maps`,
    `/proc/${RECORDED_PID}/task/${RECORDED_PID + 1}/maps`, `/proc/${RECORDED_PID}/environ`, `/proc/${RECORDED_PID}/mem`,
    '/proc/cpuinfo', '/proc', `${files}/1-prog`, 'prog',
  ]) {
    assert.equal(errnoOf(() => pf.open(path)), ENOENT, path);
  }
  assert.equal(errnoOf(() => pf.readLink(`/proc/${RECORDED_PID}/cwd`)), ENOENT);
  assert.equal(errnoOf(() => pf.readLink('/etc/passwd')), ENOENT);
  assert.equal(errnoOf(() => pf.readLink('/usr/bin/prog')), 22); // a file, not a link
  const gone = new ProgramFiles({ ...view, threads: () => [] }, reader);
  assert.equal(errnoOf(() => gone.open(`/proc/${RECORDED_PID}/maps`)), ENOENT);
  assert.equal(gone.open('/usr/bin/prog').size, 25); // the program's files outlive the process
});
