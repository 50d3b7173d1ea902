// files.index (append, torn last line, corruption, atomic rewrite) and the content-hash cache.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { HashCache, hashFile, identityOf } from './content-hash.js';
import { TraceError } from './errors.js';
import { appendIndexEntry, FILE_INDEX, readFileIndex, writeIndexAtomic } from './file-index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-index-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (): string => fs.mkdtempSync(path.join(root, `d${n++}-`));
const H1 = 'a'.repeat(64);
const H2 = '0123456789abcdef'.repeat(4);

test('no files.index: null (a trace recorded before there was one)', () => {
  assert.equal(readFileIndex(dir()), null);
});

test('appended entries read back; a later line for the same copy wins', () => {
  const d = dir();
  appendIndexEntry(d, { copy: '1-prog', path: '/tmp/prog', size: 10, sha256: H1 });
  appendIndexEntry(d, { copy: '2-libc.so.6', path: '/usr/lib/libc.so.6 with space', size: 2_000_000, sha256: H2 });
  appendIndexEntry(d, { copy: '1-prog', path: '/tmp/prog', size: 11, sha256: H2 });
  const idx = readFileIndex(d)!;
  assert.equal(idx.size, 2);
  assert.deepEqual(idx.get('1-prog'), { copy: '1-prog', path: '/tmp/prog', size: 11, sha256: H2 });
  assert.equal(idx.get('2-libc.so.6')!.path, '/usr/lib/libc.so.6 with space');
});

test('a last line cut short (recorder killed while appending) is ignored', () => {
  const d = dir();
  appendIndexEntry(d, { copy: '1-prog', path: '/tmp/prog', size: 10, sha256: H1 });
  fs.appendFileSync(path.join(d, FILE_INDEX), '{"copy":"2-lib","path":"/x","si');
  assert.deepEqual([...readFileIndex(d)!.keys()], ['1-prog']);
});

test('a damaged line is a one-line TraceError naming the line', () => {
  const bad = ['not json', '[1]', '{"copy":"../x","path":"/a","size":1,"sha256":"' + H1 + '"}',
    '{"copy":"1-a","path":"/a","size":-1,"sha256":"' + H1 + '"}', '{"copy":"1-a","path":"/a","size":1,"sha256":"xyz"}'];
  for (const l of bad) {
    const d = dir();
    appendIndexEntry(d, { copy: '1-prog', path: '/tmp/prog', size: 10, sha256: H1 });
    fs.appendFileSync(path.join(d, FILE_INDEX), l + '\n');
    assert.throws(() => readFileIndex(d), (e: unknown) => e instanceof TraceError && /files\.index line 2/.test(e.message) && !e.message.includes('\n'), l);
  }
});

test('writeIndexAtomic replaces the index and leaves no temporary', () => {
  const d = dir();
  appendIndexEntry(d, { copy: '1-prog', path: '/tmp/prog', size: 10, sha256: H1 });
  writeIndexAtomic(d, [{ copy: '3-x', path: '/x', size: 3, sha256: H2 }]);
  assert.deepEqual([...readFileIndex(d)!.keys()], ['3-x']);
  assert.deepEqual(fs.readdirSync(d), [FILE_INDEX]);
});

test('hashFile is the SHA-256 of the content, across read chunks', () => {
  const f = path.join(dir(), 'data');
  const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7919) & 0xff);
  fs.writeFileSync(f, data);
  assert.equal(hashFile(f), createHash('sha256').update(data).digest('hex'));
});

test('HashCache: a hit for the same identity (also in a new process-like instance), a miss once the file is written', () => {
  const cacheDir = path.join(dir(), 'cache');
  const f = path.join(dir(), 'file');
  fs.writeFileSync(f, 'first content');
  const st = fs.statSync(f, { bigint: true });
  const a = new HashCache(cacheDir);
  const first = a.hashOf(f, identityOf(st));
  assert.deepEqual(first, { hash: createHash('sha256').update('first content').digest('hex'), cached: false });
  assert.equal(a.hashOf(f, identityOf(st)).cached, true);
  assert.deepEqual(new HashCache(cacheDir).hashOf(f, identityOf(st)), { ...first, cached: true }); // from disk
  // The file changes: another mtime (and size), so the cached hash does not apply.
  const later = new Date(Date.now() + 5000);
  fs.writeFileSync(f, 'second, longer content');
  fs.utimesSync(f, later, later);
  const st2 = fs.statSync(f, { bigint: true });
  assert.deepEqual(new HashCache(cacheDir).hashOf(f, identityOf(st2)),
    { hash: createHash('sha256').update('second, longer content').digest('hex'), cached: false });
  // A cache that cannot be written is no cache, not an error.
  const blocked = path.join(dir(), 'blocked');
  fs.writeFileSync(blocked, 'a file where the cache directory should be');
  const c = new HashCache(path.join(blocked, 'sub'));
  assert.equal(c.hashOf(f, identityOf(st2)).cached, false);
});
