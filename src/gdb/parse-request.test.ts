// Tests for parse-request.ts and the family parsers: one or more cases per packet family, and
// malformed input turning into 'malformed' or 'unsupported', never an exception.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latin1Bytes } from './encoding.js';
import { parseRequest } from './parse-request.js';
import type { Request } from './requests.js';

const parse = (text: string): Request => parseRequest(latin1Bytes(text));
const kind = (text: string) => parse(text).kind;

test('memory packets', () => {
  assert.deepEqual(parse('m401000,10'), { kind: 'read-memory', addr: 0x401000n, length: 16, binary: false });
  assert.deepEqual(parse('x7fff0000,4'), { kind: 'read-memory', addr: 0x7fff0000n, length: 4, binary: true });
  assert.deepEqual(parse('M1000,2:abcd'), { kind: 'write-memory', addr: 0x1000n, data: Uint8Array.from([0xab, 0xcd]) });
  assert.deepEqual(parse('X1000,2:}\x03A'), { kind: 'write-memory', addr: 0x1000n, data: Uint8Array.from([0x23, 0x41]) });
  for (const bad of ['m', 'm401000', 'm,1', 'mzz,1', 'm1,zz', 'm1,123456789', 'm11111111111111111,1', 'M1,2:abc', 'M1,3:abcd', 'X1,1:}']) {
    assert.equal(kind(bad), 'malformed', bad);
  }
});

test('register packets', () => {
  assert.deepEqual(parse('g'), { kind: 'read-registers' });
  assert.deepEqual(parse('p10'), { kind: 'read-register', regnum: 16 });
  assert.deepEqual(parse('P10=0010400000000000'), {
    kind: 'write-register',
    regnum: 16,
    data: Uint8Array.from([0, 0x10, 0x40, 0, 0, 0, 0, 0]),
  });
  for (const bad of ['gx', 'p', 'pq', 'P10', 'P10=x', 'G0']) assert.equal(kind(bad), 'malformed', bad);
});

test('resume packets', () => {
  assert.deepEqual(parse('c'), {
    kind: 'resume', direction: 'forward', legacy: true, actions: [{ action: 'continue', signal: 0, thread: null }],
  });
  assert.deepEqual(parse('S0b'), {
    kind: 'resume', direction: 'forward', legacy: true, actions: [{ action: 'step', signal: 11, thread: null }],
  });
  assert.deepEqual(parse('bs'), {
    kind: 'resume', direction: 'backward', legacy: true, actions: [{ action: 'step', signal: 0, thread: null }],
  });
  assert.deepEqual(parse('vCont;s:p1092.1093;c'), {
    kind: 'resume',
    direction: 'forward',
    legacy: false,
    actions: [
      { action: 'step', signal: 0, thread: { pid: 0x1092, tid: 0x1093 } },
      { action: 'continue', signal: 0, thread: null },
    ],
  });
  assert.deepEqual(parse('vCont;C1e:-1'), {
    kind: 'resume', direction: 'forward', legacy: false,
    actions: [{ action: 'continue', signal: 30, thread: { pid: 'current', tid: 'all' } }],
  });
  assert.equal(kind('vCont?'), 'vcont-query');
  for (const bad of ['c1234', 'Cxx', 'C100', 'vCont', 'vCont;', 'vCont;q', 'vCont;c:zz', 'vCont;r1,2']) {
    assert.equal(kind(bad), 'malformed', bad);
  }
  assert.equal(kind('bx'), 'unsupported');
});

test('breakpoint packets', () => {
  assert.deepEqual(parse('Z0,401004,1'), {
    kind: 'breakpoint', insert: true, breakpoint: { type: 'software', addr: 0x401004n, kind: 1 },
  });
  assert.deepEqual(parse('z2,7ffe0010,8'), {
    kind: 'breakpoint', insert: false, breakpoint: { type: 'write', addr: 0x7ffe0010n, kind: 8 },
  });
  assert.equal(parse('Z4,10,4;X1,0').kind, 'breakpoint');
  assert.equal(kind('Z5,10,4'), 'unsupported');
  for (const bad of ['Z0', 'Z0,1', 'Z0,zz,1', 'Z0,1,1,1']) assert.equal(kind(bad), 'malformed', bad);
});

test('thread packets', () => {
  assert.deepEqual(parse('Hgp0.0'), { kind: 'set-thread', op: 'g', thread: { pid: 'any', tid: 'any' } });
  assert.deepEqual(parse('Hc-1'), { kind: 'set-thread', op: 'c', thread: { pid: 'current', tid: 'all' } });
  assert.deepEqual(parse('Tp10.11'), { kind: 'thread-alive', thread: { pid: 16, tid: 17 } });
  assert.deepEqual(parse('Hgp-1'), { kind: 'set-thread', op: 'g', thread: { pid: 'all', tid: 'all' } });
  for (const bad of ['Hg', 'Hgzz', 'T', 'Tp1.', 'Hg-2']) assert.equal(kind(bad), 'malformed', bad);
  assert.equal(kind('Hx1'), 'unsupported');
});

test('queries', () => {
  const q = parse('qSupported:multiprocess+;swbreak+;hwbreak-;xmlRegisters=i386;fork-events?');
  assert.equal(q.kind, 'query-supported');
  if (q.kind === 'query-supported') {
    assert.deepEqual([...q.features], [
      ['multiprocess', '+'], ['swbreak', '+'], ['hwbreak', '-'], ['xmlRegisters', 'i386'], ['fork-events', '?'],
    ]);
  }
  assert.deepEqual(parse('qXfer:features:read:target.xml:0,ffb'), {
    kind: 'xfer-read', object: 'features', annex: 'target.xml', offset: 0, length: 0xffb,
  });
  assert.deepEqual(parse('qXfer:exec-file:read:1092:10,20'), {
    kind: 'xfer-read', object: 'exec-file', annex: '1092', offset: 16, length: 32,
  });
  assert.deepEqual(parse('qRcmd,68656c6c6f'), { kind: 'monitor', command: 'hello' });
  assert.equal(kind('qXfer:features:write:target.xml:0:abc'), 'unsupported');
  assert.equal(kind('qXfer:features:read:target.xml:0'), 'malformed');
  assert.equal(kind('qXfer:features'), 'malformed');
  assert.equal(kind('qRcmd,6'), 'malformed');
  assert.equal(kind('qfThreadInfo'), 'thread-list');
  assert.equal(kind('qC'), 'current-thread');
  assert.equal(kind('qAttached:1092'), 'attached');
  assert.equal(kind('qSymbol::'), 'symbol');
  assert.equal(kind('QStartNoAckMode'), 'start-no-ack');
  assert.deepEqual(parse('vKill;1092'), { kind: 'kill', pid: 0x1092, reply: true });
  assert.deepEqual(parse('k'), { kind: 'kill', pid: null, reply: false });
  assert.deepEqual(parse('D;1092'), { kind: 'detach', pid: 0x1092 });
  for (const u of ['qTStatus', 'vMustReplyEmpty', 'qOffsets', 'vFile:stat:2f', 'QNonStop:0', '!!', 'R00', 'qCRC:1,2']) {
    assert.equal(kind(u), 'unsupported', u);
  }
});

test('extended mode and vRun', () => {
  assert.deepEqual(parse('!'), { kind: 'extended-mode' });
  assert.deepEqual(parse('vRun;'), { kind: 'run', program: '', args: [] });
  assert.deepEqual(parse('vRun;;6331'), { kind: 'run', program: '', args: ['c1'] });
  assert.deepEqual(parse('vRun;2f62696e2f6c73;;6531'), { kind: 'run', program: '/bin/ls', args: ['', 'e1'] });
  for (const bad of ['vRun', 'vRun:', 'vRun;z', 'vRun;;633', 'vRun;;63;zz']) assert.equal(kind(bad), 'malformed', bad);
});

test('hostile input never throws', () => {
  const inputs = ['', '\x00', '$', '#', '}', '*', 'q', 'Q', 'v', 'qXfer:::::', 'qXfer:a:read:b:c:d:e,f', 'Z', 'z9',
    'H', 'T-1', 'p' + 'f'.repeat(100), 'm' + '1'.repeat(5000) + ',1', 'vCont;' + 's;'.repeat(2000), 'qSupported:' + ';'.repeat(5000)];
  for (const input of inputs) assert.doesNotThrow(() => parse(input), input.slice(0, 20));
  const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff);
  for (let i = 0; i < 256; i++) {
    binary[0] = i;
    assert.doesNotThrow(() => parseRequest(binary));
  }
});
