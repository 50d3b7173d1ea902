// The replay's checks of the trace's copies (copyPath) and of a live file against its recorded copy
// (sameAsRecorded, used for the interpreter the kernel maps from this machine's file system).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { FileRef } from '../trace/events.js';
import { appendIndexEntry } from '../trace/file-index.js';
import { UnsupportedError } from '../tracee/errors.js';
import { copyPath, forgetCheckedCopies, sameAsRecorded } from './trace-files.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-trace-files-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
process.env.XDG_CACHE_HOME = path.join(root, 'cache'); // this test's own hash cache
let n = 0;

/** A trace dir whose files/ holds one copy of `content` recorded from `recorded`, indexed unless told. */
function trace(content: string, indexed = true): { files: string; ref: FileRef; copy: string } {
  const dir = path.join(root, `t${n++}`);
  const files = path.join(dir, 'files');
  fs.mkdirSync(files, { recursive: true });
  const copy = path.join(files, '1-lib.so');
  fs.writeFileSync(copy, content);
  const st = fs.statSync(copy, { bigint: true });
  const ref: FileRef = { path: '/usr/lib/lib.so', copy: '1-lib.so', dev: 1n, ino: 2n, size: st.size, mtimeNs: 12345n };
  if (indexed) {
    appendIndexEntry(dir, { copy: ref.copy, path: ref.path, size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return { files, ref, copy };
}

test('copyPath: an intact copy is returned, again and again', () => {
  const t = trace('the recorded library');
  assert.equal(copyPath(t.files, t.ref), t.copy);
  assert.equal(copyPath(t.files, t.ref), t.copy);
});

test('copyPath: a copy changed in place (same size) is one error naming it, in a run after the one that verified it', () => {
  const t = trace('the recorded library');
  assert.equal(copyPath(t.files, t.ref), t.copy);
  forgetCheckedCopies(); // the next replay run
  const later = new Date(Date.now() + 3000);
  fs.writeFileSync(t.copy, 'the RECORDED library');
  fs.utimesSync(t.copy, later, later);
  assert.throws(() => copyPath(t.files, t.ref), (e: unknown) =>
    e instanceof UnsupportedError && e.message.includes(t.copy) && /changed since it was recorded/.test(e.message));
});

test('copyPath: a trace without files.index is not hash-checked; a copy missing from an existing index is damage', () => {
  const old = trace('an older trace', false);
  fs.writeFileSync(old.copy, 'AN OLDER TRACE');
  assert.equal(copyPath(old.files, old.ref), old.copy);
  const t = trace('listed');
  const other = path.join(t.files, '2-other');
  fs.writeFileSync(other, 'not listed');
  assert.throws(() => copyPath(t.files, { ...t.ref, copy: '2-other', size: 10n }), /not listed in files\.index/);
});

test('sameAsRecorded: same size and mtime, or same content under another mtime; not another content', () => {
  const t = trace('ld.so content');
  const live = path.join(root, `live-${n++}`);
  fs.writeFileSync(live, 'ld.so content');
  const st = fs.statSync(live, { bigint: true });
  assert.equal(sameAsRecorded(t.files, { ...t.ref, mtimeNs: st.mtimeNs }, live), true);
  assert.equal(sameAsRecorded(t.files, t.ref, live), true, 'another mtime, the recorded content');
  const changed = path.join(root, `live-${n++}`);
  fs.writeFileSync(changed, 'LD.SO content');
  assert.equal(sameAsRecorded(t.files, t.ref, changed), false);
  const old = trace('ld.so content', false);
  assert.equal(sameAsRecorded(old.files, old.ref, live), false, 'no index: the mtime must match');
});
