// Tests for Host I/O (host-io.ts, parse-host-io.ts) through the session and the test-only scripted
// target: gdb's vFile packets, replies in gdb's numbering, escaped data cut to a packet, refused
// writes, and hostile arguments that each get `F-1,errno` while the session goes on working.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latin1Bytes, latin1Text, toHex, unescapeBinary } from './encoding.js';
import { fileIoErrno, MAX_OPEN_FILES } from './host-io.js';
import { parseRequest } from './parse-request.js';
import { GdbSession } from './session.js';
import { TargetError, type DebugTarget } from './target.js';
import { ScriptedTarget, type ScriptedTargetOptions } from './testing/scripted-target.js';

// Every byte value, so that '#', '$', '}' and '*' must be escaped.
const LIBC = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) & 0xff);
const hexName = (path: string) => toHex(new TextEncoder().encode(path));

function setup(extra: Partial<ScriptedTargetOptions> = {}, packetSize?: number) {
  const target = new ScriptedTarget({
    pid: 0x1092,
    history: [0x401000n],
    files: { '/lib/libc.so.6': LIBC, '/empty': new Uint8Array(0) },
    links: { '/proc/4242/exe': '/usr/bin/prog' },
    ...extra,
  });
  const session = new GdbSession(target, packetSize === undefined ? {} : { packetSize });
  return { target, session, ...asker(session) };
}

function asker(session: GdbSession) {
  const raw = async (packet: string): Promise<Uint8Array> => {
    const reply = await session.handle(latin1Bytes(packet));
    assert.equal(reply.packets.length, 1, packet);
    return reply.packets[0]!;
  };
  const one = async (packet: string): Promise<string> => latin1Text(await raw(packet));
  /** `F N;DATA` → [N, unescaped DATA]. */
  const data = async (packet: string): Promise<[number, Uint8Array]> => {
    const reply = await raw(packet);
    const semi = reply.indexOf(0x3b);
    const head = latin1Text(reply, 0, semi);
    assert.match(head, /^F[0-9a-f]+$/, `${packet} → ${latin1Text(reply).slice(0, 40)}`);
    return [parseInt(head.slice(1), 16), unescapeBinary(reply.subarray(semi + 1))!];
  };
  return { raw, one, data };
}

test('without openFile, vFile is unsupported (empty reply): gdb then uses its own file system', async () => {
  const session = new GdbSession(new ScriptedTarget({ history: [0x401000n] }));
  const { one } = asker(session);
  assert.equal(await one('vFile:setfs:0'), '');
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},0,1c0`), '');
});

test('setfs, open, pread in pieces, fstat, close: what gdb does to read a library', async () => {
  const { one, data } = setup();
  assert.equal(await one('vFile:setfs:0'), 'F0');
  assert.equal(await one('vFile:setfs:1092'), 'F0'); // the debugged process
  assert.equal(await one('vFile:setfs:99'), 'F-1,16'); // EINVAL: no such process here
  assert.equal(await one(`vFile:open:${hexName('just probing')},0,1c0`), 'F-1,2'); // gdb's probe: ENOENT
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},0,0`), 'F1');
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},0,0`), 'F2');
  const got: number[] = [];
  for (let offset = 0; ; ) {
    const [n, bytes] = await data(`vFile:pread:1,400,${offset.toString(16)}`);
    assert.equal(bytes.length, n);
    if (n === 0) break;
    got.push(...bytes);
    offset += n;
  }
  assert.deepEqual(Uint8Array.from(got), LIBC);
  assert.deepEqual(await data('vFile:pread:2,10,bb0'), [8, LIBC.subarray(0xbb0)]);
  const [size, stat] = await data('vFile:fstat:1');
  assert.equal(size, 64);
  const v = new DataView(stat.buffer, stat.byteOffset, stat.byteLength);
  assert.equal(v.getUint32(8), 0o100444); // a read-only regular file
  assert.equal(v.getBigUint64(28), 3000n); // size, big-endian
  assert.equal(v.getUint32(56), 1_700_000_000); // mtime
  assert.equal(await one('vFile:close:1'), 'F0');
  assert.equal(await one('vFile:close:1'), 'F-1,9'); // EBADF
  assert.equal(await one('vFile:pread:1,10,0'), 'F-1,9');
  assert.deepEqual(await data('vFile:pread:2,10,0'), [16, LIBC.subarray(0, 16)]); // the other fd is still open
  assert.equal(await one(`vFile:open:${hexName('/empty')},0,0`), 'F1'); // lowest free fd again
  assert.deepEqual(await data('vFile:pread:1,1000,0'), [0, new Uint8Array(0)]);
});

test('missing files, links, and writes are refused with gdb\'s errno numbers', async () => {
  const { one, data, target } = setup();
  assert.equal(await one(`vFile:open:${hexName('/etc/passwd')},0,0`), 'F-1,2'); // ENOENT
  assert.ok(target.calls.includes('openFile /etc/passwd'));
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},1,1a4`), 'F-1,1e'); // O_WRONLY: EROFS
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},2,0`), 'F-1,1e'); // O_RDWR
  assert.equal(await one(`vFile:open:${hexName('/new')},601,1a4`), 'F-1,1e'); // O_WRONLY|O_CREAT|O_TRUNC (remote put)
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},200,0`), 'F-1,1e'); // O_CREAT
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},3,0`), 'F-1,16'); // no such access mode
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},1000,0`), 'F-1,16'); // unknown flag
  assert.equal(target.calls.filter((c) => c.startsWith('openFile /lib')).length, 0, 'refused before the target is asked');
  assert.equal(await one(`vFile:unlink:${hexName('/lib/libc.so.6')}`), 'F-1,1e');
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},0,0`), 'F1');
  assert.equal(await one('vFile:pwrite:1,0,}]}]abc'), 'F-1,9'); // open read-only
  assert.deepEqual(await data(`vFile:readlink:${hexName('/proc/4242/exe')}`), [13, new TextEncoder().encode('/usr/bin/prog')]);
  assert.equal(await one(`vFile:readlink:${hexName('/lib/libc.so.6')}`), 'F-1,16'); // EINVAL: not a link
  assert.equal(await one(`vFile:open:${hexName('/' + 'a'.repeat(4096))},0,0`), 'F-1,5b'); // ENAMETOOLONG is 91
  assert.equal(await one('vFile:stat:2f'), ''); // operations gdb 13 does not need stay unsupported
  const noLinks = new GdbSession(new ScriptedTarget({ history: [0x401000n], files: {} }));
  assert.equal(await asker(noLinks).one(`vFile:readlink:${hexName('/proc/1/exe')}`), '');
});

test('bad arguments: F-1,EINVAL or EBADF, never a crash, and the session goes on', async () => {
  const { one, data } = setup();
  assert.equal(await one(`vFile:open:${hexName('/lib/libc.so.6')},0,0`), 'F1');
  const cases: [string, string][] = [
    ['vFile:open:2f6c,0', 'F-1,16'], // missing mode
    ['vFile:open:2f6,0,0', 'F-1,16'], // odd hex
    ['vFile:open:2fzz,0,0', 'F-1,16'], // not hex
    ['vFile:open:2f00,0,0', 'F-1,16'], // NUL in the name
    ['vFile:open:,0,0', 'F-1,2'], // empty name: ENOENT
    ['vFile:open:2f,-1,0', 'F-1,16'],
    ['vFile:pread:1,10,-1', 'F-1,16'], // negative offset
    ['vFile:pread:1,-10,0', 'F-1,16'], // negative count
    ['vFile:pread:1,10', 'F-1,16'],
    ['vFile:pread:1,10,0,0', 'F-1,16'],
    ['vFile:pread:1,1x,0', 'F-1,16'],
    ['vFile:pread:1,10,11111111111111111', 'F-1,16'], // 17 digits
    ['vFile:pread:7,10,0', 'F-1,9'], // never opened
    ['vFile:pread:-1,10,0', 'F-1,9'],
    ['vFile:pread:ffffffffffffffff,10,0', 'F-1,9'],
    ['vFile:close:', 'F-1,16'],
    ['vFile:fstat:zz', 'F-1,16'],
    ['vFile:setfs:-1', 'F-1,16'],
    ['vFile:setfs:100000000', 'F-1,16'],
    ['vFile:readlink:2', 'F-1,16'],
    ['vFile:unlink:', 'F-1,2'],
  ];
  for (const [packet, reply] of cases) assert.equal(await one(packet), reply, packet);
  // Huge counts and offsets: a short read, and nothing past the end.
  const [n] = await data('vFile:pread:1,ffffffffffffffff,0');
  assert.ok(n > 0 && n <= 0x4000, `${n}`);
  assert.deepEqual(await data('vFile:pread:1,10,fffffffffffffff'), [0, new Uint8Array(0)]);
  assert.deepEqual(await data('vFile:pread:1,0,0'), [0, new Uint8Array(0)]);
  assert.equal(await one('vFile:bogus:1'), '');
  assert.equal(await one('vFile:'), '');
  assert.equal(await one('vFile:close:1'), 'F0');
  assert.equal(await one('?'), 'T05thread:1092;');
});

test('a pread reply fits the packet size whatever the escaping, and says how many bytes it holds', async () => {
  const dollars = new Uint8Array(1000).fill(0x24); // each byte escapes to two
  const { one, data } = setup({ files: { '/f': dollars } }, 256);
  assert.equal(await one(`vFile:open:${hexName('/f')},0,0`), 'F1');
  const replies: number[] = [];
  let total = 0;
  for (;;) {
    const [n, bytes] = await data(`vFile:pread:1,1000,${total.toString(16)}`);
    if (n === 0) break;
    assert.deepEqual(bytes, dollars.subarray(0, n));
    replies.push(n);
    total += n;
  }
  assert.equal(total, 1000);
  assert.ok(replies.every((n) => 2 * n + `F${n.toString(16)};`.length <= 256), String(replies));
});

test('open files are limited per connection (EMFILE); closing frees them', async () => {
  const { one } = setup();
  const open = `vFile:open:${hexName('/lib/libc.so.6')},0,0`;
  for (let i = 1; i <= MAX_OPEN_FILES; i++) assert.equal(await one(open), `F${i.toString(16)}`);
  assert.equal(await one(open), 'F-1,18'); // EMFILE
  assert.equal(await one('vFile:close:5'), 'F0');
  assert.equal(await one(open), 'F5');
});

test('target errors: a Linux errno is translated, anything else is EIO', async () => {
  assert.deepEqual([2, 13, 30, 36, 38, 3, 0].map(fileIoErrno), [2, 13, 30, 91, 88, 9999, 9999]);
  let failure: unknown = new TargetError('not allowed', 13);
  const target: DebugTarget = Object.assign(new ScriptedTarget({ history: [0x401000n] }), {
    openFile: () => {
      throw failure;
    },
  });
  const { one } = asker(new GdbSession(target));
  assert.equal(await one(`vFile:open:${hexName('/x')},0,0`), 'F-1,d'); // EACCES
  failure = new TargetError('loop', 40); // ELOOP: gdb has no name for it
  assert.equal(await one(`vFile:open:${hexName('/x')},0,0`), 'F-1,270f');
  failure = new Error('a bug');
  assert.equal(await one(`vFile:open:${hexName('/x')},0,0`), 'F-1,5');
});

test('parsing: fields, signed hex, names; hostile packets never throw', () => {
  assert.deepEqual(parseRequest(latin1Bytes('vFile:open:2f6c6962,0,1c0')), {
    kind: 'host-io', request: { op: 'open', path: '/lib', flags: 0, mode: 0x1c0 },
  });
  assert.deepEqual(parseRequest(latin1Bytes('vFile:pread:3,3fff,A0')), {
    kind: 'host-io', request: { op: 'pread', fd: 3, count: 0x3fff, offset: 0xa0 },
  });
  assert.deepEqual(parseRequest(latin1Bytes('vFile:setfs:1092')), { kind: 'host-io', request: { op: 'setfs', pid: 0x1092 } });
  assert.deepEqual(parseRequest(latin1Bytes('vFile:pwrite:3,0,a,b')), { kind: 'host-io', request: { op: 'pwrite', fd: 3, offset: 0 } });
  assert.equal(parseRequest(latin1Bytes('vFile:lstat:2f')).kind, 'unsupported');
  const binary = Uint8Array.from({ length: 600 }, (_, i) => (i * 7919) & 0xff);
  binary.set(latin1Bytes('vFile:pwrite:1,0,'));
  assert.doesNotThrow(() => parseRequest(binary));
  for (const input of ['vFile', 'vFile:', 'vFile:open', 'vFile:open:', 'vFile:pread:,,', 'vFile:open:' + 'f'.repeat(100001) + ',0,0']) {
    assert.doesNotThrow(() => parseRequest(latin1Bytes(input)), input.slice(0, 20));
  }
});
