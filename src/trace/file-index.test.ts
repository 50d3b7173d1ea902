// files.index (append, torn last line, corruption, atomic rewrite) and the content-hash cache.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { BLOCK_HASH_FROM, HashCache, hashFile, hashKindFor, hashKindOf, identityOf, PRUNE_EVERY_MS, PRUNE_STAMP } from './content-hash.js';
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

test('HashCache: above PRUNE_ABOVE entries a store drops those whose file is gone, at most once per PRUNE_EVERY_MS', () => {
  const cacheDir = path.join(dir(), 'cache');
  fs.mkdirSync(cacheDir);
  const live = path.join(dir(), 'live');
  fs.writeFileSync(live, 'still here');
  const liveSt = fs.statSync(live, { bigint: true });
  const liveName = `${liveSt.dev}-${liveSt.ino}`;
  const gone = (from: number): void => {
    for (let i = 0; i < 2001; i++) fs.writeFileSync(path.join(cacheDir, `1-${from + i}`), `v1 1 1 ${H1} /no/such/file/${i}\n`);
  };
  const entries = (): string[] => fs.readdirSync(cacheDir).filter((n) => !n.startsWith('.'));
  gone(0);
  fs.writeFileSync(path.join(cacheDir, liveName), `v1 ${liveSt.size} ${liveSt.mtimeNs} ${H2} ${live}\n`);
  const store = (): void => new HashCache(cacheDir).put({ dev: 2n, ino: BigInt(n++), size: 1n, mtimeNs: 1n }, H1, live);
  store(); // a new process's first store: prunes
  assert.ok(fs.existsSync(path.join(cacheDir, PRUNE_STAMP)));
  assert.deepEqual(entries().filter((e) => e.startsWith('1-')), [], 'the entries of gone files were not dropped');
  assert.ok(entries().includes(liveName), 'the entry of a file still there was dropped');
  gone(10_000);
  store(); // pruned less than PRUNE_EVERY_MS ago: left alone
  assert.equal(entries().filter((e) => e.startsWith('1-')).length, 2001);
  const long = new Date(Date.now() - PRUNE_EVERY_MS - 60_000);
  fs.utimesSync(path.join(cacheDir, PRUNE_STAMP), long, long);
  store();
  assert.deepEqual(entries().filter((e) => e.startsWith('1-')), []);
  assert.ok(entries().includes(liveName));
});

/** The block hash computed the slow way: every 64 KiB block of the content, zero blocks left out. */
function blockHashOf(content: Uint8Array): string {
  const h = createHash('sha256');
  const u64 = (v: number): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return b;
  };
  for (let i = 0; i * 65536 < content.length; i++) {
    const block = content.subarray(i * 65536, (i + 1) * 65536);
    if (block.every((x) => x === 0)) continue;
    h.update(u64(i)).update(block);
  }
  return `sha256-blocks:${h.update(u64(content.length)).digest('hex')}`;
}

test('files of 64 MiB or more get the block hash: content alone decides it, holes are not read', () => {
  const size = BLOCK_HASH_FROM + 100_000;
  assert.equal(hashKindFor(size), 'sha256-blocks');
  assert.equal(hashKindFor(BLOCK_HASH_FROM - 1), 'sha256');
  const content = new Uint8Array(size);
  content.set(new TextEncoder().encode('at the start'), 0);
  content.set(new TextEncoder().encode('in the middle, across a block edge'), 40 * 65536 - 5);
  content.fill(0x11, size - 3000, size); // the short last block
  // Sparse: only those bytes written, the rest holes.
  const sparse = path.join(dir(), 'sparse');
  const fd = fs.openSync(sparse, 'w');
  fs.ftruncateSync(fd, size);
  for (const [at, len] of [[0, 12], [40 * 65536 - 5, 34], [size - 3000, 3000]] as const) fs.writeSync(fd, content, at, len, at);
  // A block of written zeros (data, not a hole) hashes as zeros do.
  fs.writeSync(fd, new Uint8Array(65536), 0, 65536, 100 * 65536);
  fs.closeSync(fd);
  // Dense: the same content, all written.
  const dense = path.join(dir(), 'dense');
  fs.writeFileSync(dense, content);
  const expected = blockHashOf(content);
  assert.equal(hashFile(sparse), expected);
  assert.equal(hashFile(dense), expected);
  assert.ok(fs.statSync(sparse).blocks * 512 < 1024 * 1024, 'the test file is sparse');
  // Forced kinds: plain SHA-256 of a big file is still available (an index entry written that way).
  assert.equal(hashFile(dense, 'sha256'), createHash('sha256').update(content).digest('hex'));
  // One byte more in a hole: another hash.
  const fd2 = fs.openSync(sparse, 'r+');
  fs.writeSync(fd2, new Uint8Array([1]), 0, 1, 500 * 65536 + 7);
  fs.closeSync(fd2);
  assert.notEqual(hashFile(sparse), expected);
});

test('files.index: a block hash is written as "sha256-blocks" and read back; the cache keeps kinds apart', () => {
  const d = dir();
  appendIndexEntry(d, { copy: '5-huge', path: '/memfd:huge (deleted)', size: 2 ** 36, sha256: `sha256-blocks:${H1}` });
  appendIndexEntry(d, { copy: '6-small', path: '/x', size: 3, sha256: H2 });
  const line = fs.readFileSync(path.join(d, FILE_INDEX), 'utf8').split('\n')[0]!;
  assert.deepEqual(JSON.parse(line), { copy: '5-huge', path: '/memfd:huge (deleted)', size: 2 ** 36, 'sha256-blocks': H1 });
  const idx = readFileIndex(d)!;
  assert.equal(idx.get('5-huge')!.sha256, `sha256-blocks:${H1}`);
  assert.equal(hashKindOf(idx.get('5-huge')!.sha256), 'sha256-blocks');
  assert.equal(idx.get('6-small')!.sha256, H2);
  const cacheDir = path.join(dir(), 'cache');
  const id = { dev: 1n, ino: 2n, size: 2n ** 36n, mtimeNs: 3n };
  new HashCache(cacheDir).put(id, `sha256-blocks:${H1}`, '/nowhere');
  assert.equal(new HashCache(cacheDir).get(id), `sha256-blocks:${H1}`);
  assert.equal(new HashCache(cacheDir).get(id, 'sha256'), null);
});
