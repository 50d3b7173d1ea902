// Tests for session.ts (the dispatcher) against the test-only scripted target: each packet family,
// refused writes, clamping, and hostile packets that must each get a sane reply while the session
// goes on working.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latin1Bytes, latin1Text } from './encoding.js';
import { GdbSession, type SessionReply } from './session.js';
import { TargetError } from './target.js';
import { ScriptedTarget, type ScriptedTargetOptions } from './testing/scripted-target.js';

const CODE = Uint8Array.from([0x90, 0x48, 0x31, 0xc0, 0x90, 0xc3, 0x23, 0x24, 0x7d, 0x2a]);

function setup(extra: Partial<ScriptedTargetOptions> = {}, packetSize?: number) {
  const target = new ScriptedTarget({
    pid: 0x1092,
    tids: [0x1092, 0x1093],
    history: [0x401000n, 0x401001n, 0x401004n, 0x401005n],
    memory: [{ addr: 0x401000n, data: CODE }],
    ...extra,
  });
  const session = new GdbSession(target, packetSize === undefined ? {} : { packetSize });
  const raw = (packet: string): Promise<SessionReply> => session.handle(latin1Bytes(packet));
  const ask = async (packet: string): Promise<string[]> => (await raw(packet)).packets.map((p) => latin1Text(p));
  const one = async (packet: string): Promise<string> => {
    const replies = await ask(packet);
    assert.equal(replies.length, 1, `${packet} → ${JSON.stringify(replies)}`);
    return replies[0]!;
  };
  return { target, session, raw, ask, one };
}

test('handshake: qSupported, stop reason, threads', async () => {
  const { one } = setup();
  const features = await one('qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+');
  assert.equal(
    features,
    'PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;multiprocess+;ReverseContinue+;ReverseStep+',
  );
  assert.equal(await one('vMustReplyEmpty'), '');
  assert.equal(await one('?'), 'T05thread:p1092.1092;');
  assert.equal(await one('qfThreadInfo'), 'mp1092.1092,p1092.1093');
  assert.equal(await one('qsThreadInfo'), 'l');
  assert.equal(await one('qC'), 'QCp1092.1092');
  assert.equal(await one('qAttached:1092'), '1');
  assert.equal(await one('qSymbol::'), 'OK');
  assert.equal(await one('qTStatus'), '');
  assert.equal(await one('Tp1092.1093'), 'OK');
  assert.equal(await one('Tp1092.1094'), 'E01');
  assert.equal(await one('vCont?'), 'vCont;c;C;s;S;t');
});

test('without multiprocess+ from gdb, thread ids are bare tids', async () => {
  const { one } = setup();
  await one('qSupported:swbreak+');
  assert.equal(await one('?'), 'T05thread:1092;');
  assert.equal(await one('qfThreadInfo'), 'm1092,1093');
});

test('QStartNoAckMode asks the connection to stop acking', async () => {
  const { raw } = setup();
  const reply = await raw('QStartNoAckMode');
  assert.equal(reply.startNoAck, true);
  assert.equal(latin1Text(reply.packets[0]!), 'OK');
});

test('registers: g, p, selected thread, refused writes', async () => {
  const { one, target } = setup();
  const g = await one('g');
  assert.equal(g.length, 560 * 2);
  assert.equal(g.slice(128 * 2, 136 * 2), '0010400000000000'); // rip
  assert.equal(await one('p10'), '0010400000000000');
  assert.equal(await one('p11'), '46020000'); // eflags
  assert.equal(await one('p3b'), '0000000000000000'); // gs_base
  assert.equal(await one('p3c'), 'E01'); // no ymm0h in the sse layout
  assert.equal(await one('Hgp1092.1093'), 'OK');
  assert.equal(await one('p1'), '9310000000000000'); // rbx = tid in the scripted target
  assert.equal(await one('Hgp1092.9999'), 'E01');
  assert.equal(await one('P10=0510400000000000'), 'E01');
  assert.equal(await one('G' + '00'.repeat(560)), 'E01');
  assert.equal(await one('M401000,1:cc'), 'E01');
  assert.equal(await one('X401000,1:a'), 'E01');
  assert.ok(!target.calls.some((c) => c.startsWith('write')));
});

test('register writes reach a target that supports them', async () => {
  const { one, target } = setup();
  const writes: Uint8Array[] = [];
  Object.assign(target, { writeRegisters: (_t: unknown, d: Uint8Array) => void writes.push(d) });
  assert.equal(await one('P10=0510400000000000'), 'OK');
  assert.equal(writes[0]!.length, 560);
  assert.deepEqual([...writes[0]!.subarray(128, 136)], [0x05, 0x10, 0x40, 0, 0, 0, 0, 0]);
  assert.equal(await one('P10=05'), 'E01');
});

test('memory: m, x, partial reads, errors, clamping', async () => {
  const { one, target } = setup({}, 256);
  assert.equal(await one('m401000,4'), '904831c0');
  assert.equal(await one('m401008,10'), '7d2a'); // partial: only 2 readable bytes
  assert.equal(await one('m500000,4'), 'E01');
  assert.equal(await one('m401000,0'), '');
  assert.equal(await one('x401006,4'), 'b}\x03}\x04}]}\x0a');
  assert.equal(await one('x401000,0'), 'b');
  target.calls.length = 0;
  await one('m401000,ffffffff');
  assert.deepEqual(target.calls, ['readRegisters 4242'].slice(1).concat('readMemory 401000 128'));
  target.calls.length = 0;
  await one('mffffffffffffffff,10');
  assert.deepEqual(target.calls, ['readMemory ffffffffffffffff 1']);
});

test('resume forward and backward, breakpoints, watchpoints, history edges', async () => {
  const { one, target } = setup({ writes: new Map([[3, 0x7ffe0000n]]) });
  await one('qSupported:multiprocess+;swbreak+;hwbreak+');
  assert.equal(await one('vCont;s:p1092.1092;c'), 'T05thread:p1092.1092;');
  assert.equal(target.position, 1);
  assert.equal(await one('Z0,401004,1'), 'OK');
  assert.equal(await one('vCont;c'), 'T05thread:p1092.1092;swbreak:;');
  assert.equal(target.position, 2);
  assert.equal(await one('z0,401004,1'), 'OK');
  assert.equal(await one('Z2,7ffe0000,8'), 'OK');
  assert.equal(await one('vCont;c:p1092.-1'), 'T05thread:p1092.1092;watch:7ffe0000;');
  assert.equal(await one('c'), 'T05thread:p1092.1092;replaylog:end;');
  assert.equal(await one('Hcp1092.1092'), 'OK');
  assert.equal(await one('bs'), 'T05thread:p1092.1092;');
  assert.equal(target.position, 2);
  assert.equal(await one('bc'), 'T05thread:p1092.1092;replaylog:begin;');
  assert.equal(target.position, 0);
  assert.deepEqual(target.calls.filter((c) => c.startsWith('resume')), [
    'resume forward step 4242 +others sig=0',
    'resume forward continue all +others sig=0',
    'resume forward continue all +others sig=0',
    'resume forward continue all +others sig=0',
    'resume backward step 4242 sig=0',
    'resume backward continue 4242 sig=0',
  ]);
});

test('signals are translated; a signal Linux lacks is refused', async () => {
  const { one, target } = setup();
  await one('vCont;S1e:p1092.1092');
  assert.match(target.calls.at(-1)!, /^resume forward step 4242 sig=10$/);
  assert.equal(await one('vCont;C07'), 'E01'); // SIGEMT
  assert.equal(await one('vCont;t'), 'E01');
  assert.equal(await one('vCont;s:1;s:2'), 'E01');
});

test('reverse is refused (empty) when the target cannot reverse', async () => {
  const { one } = setup({ canReverse: false });
  assert.ok(!(await one('qSupported')).includes('Reverse'));
  assert.equal(await one('bc'), '');
  assert.equal(await one('bs'), '');
});

test('exit replies', async () => {
  const { one } = setup({ exitStatus: 3, start: 3 });
  await one('qSupported:multiprocess+');
  assert.equal(await one('vCont;c'), 'W03;process:1092');
  assert.equal(await one('?'), 'W03;process:1092');
  assert.equal(await one('qfThreadInfo'), 'l');
  assert.equal(await one('g'), 'E01');
});

test('qXfer: features in chunks, target objects, bad annexes', async () => {
  const { one } = setup({ execFile: '/usr/bin/true', auxv: Uint8Array.from([6, 0, 0, 0, 0, 0, 0, 0, 0x23]) }, 256);
  const supported = await one('qSupported');
  assert.match(supported, /qXfer:auxv:read\+;qXfer:exec-file:read\+/);
  assert.doesNotMatch(supported, /libraries-svr4/);
  let xml = '';
  for (let offset = 0, more = true; more; ) {
    const reply = await one(`qXfer:features:read:64bit-core.xml:${offset.toString(16)},ffff`);
    assert.ok(reply.length <= 256);
    more = reply[0] === 'm';
    xml += reply.slice(1);
    offset += reply.length - 1;
  }
  assert.match(xml, /<\/feature>\n$/);
  assert.equal(await one('qXfer:features:read:nope.xml:0,100'), 'E00');
  assert.equal(await one('qXfer:exec-file:read:1092:0,100'), 'l/usr/bin/true');
  assert.equal(await one('qXfer:exec-file:read::5,100'), 'lbin/true');
  assert.equal(await one('qXfer:exec-file:read:zz:0,100'), 'E00');
  assert.equal(await one('qXfer:auxv:read::0,100'), 'l\x06\x00\x00\x00\x00\x00\x00\x00}\x03');
  assert.equal(await one('qXfer:auxv:read::100,100'), 'l');
  assert.equal(await one('qXfer:libraries-svr4:read::0,100'), '');
  assert.equal(await one('qXfer:threads:read::0,100'), '');
});

test('monitor commands: output as O packets then OK; unsupported → empty', async () => {
  const { ask, one } = setup({ monitor: (cmd) => `you said ${cmd}\n` }, 256);
  assert.deepEqual(await ask('qRcmd,6869'), ['O' + Buffer.from('you said hi\n').toString('hex'), 'OK']);
  const long = await ask('qRcmd,' + Buffer.from('x'.repeat(300)).toString('hex'));
  assert.ok(long.length > 2);
  assert.ok(long.every((p) => p.length <= 256));
  const { one: bare } = setup();
  assert.equal(await bare('qRcmd,6869'), '');
  assert.equal(await one('qRcmd,zz'), 'E01');
});

test('target errors become E NN and the session continues', async () => {
  const { one, target } = setup();
  Object.assign(target, { readMemory: () => { throw new TargetError('gone', 14); } });
  assert.equal(await one('m401000,4'), 'E0e');
  Object.assign(target, { readMemory: () => Promise.reject(new Error('boom')) });
  assert.equal(await one('m401000,4'), 'E01');
  assert.equal(await one('p10'), '0010400000000000');
});

test('hostile packets each get a sane reply and the session goes on', async () => {
  const { one, raw } = setup({}, 512);
  await one('qSupported:multiprocess+');
  const hostile: [string, string][] = [
    ['', ''],
    ['\x00', ''],
    ['m', 'E01'],
    ['mffffffffffffffffff,1', 'E01'],
    ['m0,ffffffffff', 'E01'],
    ['mzz,1', 'E01'],
    ['p' + 'f'.repeat(40), 'E01'],
    ['pffffffff', 'E01'],
    ['Z0,,', 'E01'],
    ['Z9,1,1', ''],
    ['vCont;x', 'E01'],
    ['Hg' + '9'.repeat(30), 'E01'],
    ['Hgp7fffffff.7fffffff', 'E01'],
    ['qXfer:features:read:target.xml:ffffffff,ffffffff', 'l'],
    ['qXfer:features:read:../../etc/passwd:0,10', 'E00'],
    ['qSupported:' + 'x+;'.repeat(3000), ''],
    ['c401000', 'E01'],
    ['D;zz', 'E01'],
    ['Dx', 'E01'],
    ['kk', ''],
    ['?junk', ''],
    ['\xff\xfe', ''],
    ['vFile:open:2f6574632f706173737764,0,0', ''],
  ];
  for (const [packet, expected] of hostile) {
    const reply = await one(packet);
    if (packet.startsWith('qSupported')) assert.match(reply, /^PacketSize=200;/);
    else assert.equal(reply, expected, JSON.stringify(packet.slice(0, 40)));
  }
  assert.equal(await one('m401000,2'), '9048');
  assert.equal((await raw('D')).end, 'detach');
});

const hex = (s: string) => Buffer.from(s).toString('hex');

test('extended mode: vKill keeps the session, vRun restarts, the continue of gdb\'s run stops there', async () => {
  const reports: string[] = [];
  const target = new ScriptedTarget({ pid: 0x1092, history: [0x401000n, 0x401001n, 0x401004n, 0x401005n], start: 2, restartable: true });
  const session = new GdbSession(target, { report: (line) => reports.push(line) });
  const raw = (packet: string) => session.handle(latin1Bytes(packet));
  const one = async (packet: string) => (await raw(packet)).packets.map((p) => latin1Text(p)).join('|');
  await one('qSupported:multiprocess+;swbreak+');
  assert.equal(await one('!'), 'OK');
  assert.equal(await one('vCont;s:p1092.1092'), 'T05thread:p1092.1092;');
  assert.equal(target.position, 3);
  const killed = await raw('vKill;1092');
  assert.equal(killed.end, undefined);
  assert.equal(latin1Text(killed.packets[0]!), 'OK');
  assert.ok(!target.calls.includes('kill'));
  // No process until the next vRun.
  assert.equal(await one('?'), 'X09;process:1092');
  assert.equal(await one('qfThreadInfo'), 'l');
  assert.equal(await one('g'), 'E01');
  assert.equal(await one('m401000,1'), 'E01');
  assert.equal(await one('vCont;c'), 'E01');
  assert.equal(await one('qC'), 'E01');
  // gdb's `run`: vRun with no program name and no argument goes to the start.
  assert.equal(await one('vRun;'), 'T05thread:p1092.1092;');
  assert.ok(target.calls.includes('restart "" []'));
  assert.equal(target.position, 2);
  assert.equal(await one('qfThreadInfo'), 'mp1092.1092');
  assert.equal(await one('P39=ffffffffffffffff'), 'OK'); // orig_rax = -1, dropped
  assert.equal(await one('P39=0000000000000000'), 'E01');
  assert.equal(await one('P10=0510400000000000'), 'E01');
  target.calls.length = 0;
  assert.equal(await one('vCont;c:p1092.-1'), 'T00thread:p1092.1092;');
  assert.deepEqual(target.calls.filter((c) => c.startsWith('resume')), []);
  assert.equal(target.position, 2);
  assert.equal(await one('?'), 'T00thread:p1092.1092;');
  // Only that one continue is held.
  assert.equal(await one('P39=ffffffffffffffff'), 'E01');
  assert.equal(await one('vCont;c'), 'T05thread:p1092.1092;replaylog:end;');
  // An argument picks the point; a step after vRun is not held.
  assert.equal(await one(`vRun;${hex('/bin/prog')};${hex('@1')}`), 'T05thread:p1092.1092;');
  assert.deepEqual(target.calls.filter((c) => c.startsWith('restart')), ['restart "/bin/prog" ["@1"]']);
  assert.equal(target.position, 1);
  assert.equal(await one('vCont;s:p1092.1092'), 'T05thread:p1092.1092;');
  assert.equal(target.position, 2);
  assert.deepEqual(reports, []);
});

test('extended mode: bad vRun packets and refused restart points get E NN; the session goes on', async () => {
  const reports: string[] = [];
  const target = new ScriptedTarget({ pid: 0x1092, history: [0x401000n, 0x401001n], restartable: true });
  const session = new GdbSession(target, { report: (line) => reports.push(line) });
  const one = async (packet: string) => (await session.handle(latin1Bytes(packet))).packets.map((p) => latin1Text(p)).join('|');
  // vRun before `!`: gdb only sends it in extended mode.
  assert.equal(await one('vRun;'), 'E01');
  assert.equal(await one('!'), 'OK');
  assert.equal(await one(`vRun;;${hex('@9')}`), 'E16');
  assert.equal(await one(`vRun;;${hex('c1')};${hex('c2')}`), 'E16');
  assert.deepEqual(reports, ['rewind: run: cannot restart at @9', 'rewind: run: cannot restart at c1 c2']);
  for (const bad of ['vRun', 'vRun;zz', 'vRun;;123', `vRun;;${hex('@1')};x`]) assert.equal(await one(bad), 'E01', bad);
  assert.equal(target.calls.filter((c) => c.startsWith('restart')).length, 2);
  assert.equal(await one('vKill;999'), 'E01');
  assert.equal(await one('?'), 'T05thread:1092;'); // no multiprocess negotiated
  assert.equal(await one('m401000,0'), '');
  assert.equal(await one(`vRun;;${hex('@1')}`), 'T05thread:1092;');
});

test('without restart support, ! is unsupported and vKill ends the session', async () => {
  const { one, raw } = setup();
  assert.equal(await one('!'), '');
  assert.equal(await one('vRun;'), '');
  assert.equal(await one('vKill;1093'), 'E01');
  const reply = await raw('vKill;1092');
  assert.equal(reply.end, 'kill');
});

test('a failing monitor command: its message as O packets, then E NN', async () => {
  const { ask } = setup({ monitor: () => { throw new TargetError('no checkpoint 9', 22); } });
  assert.deepEqual(await ask('qRcmd,' + hex('restart 9')), ['O' + hex('no checkpoint 9\n'), 'E16']);
});
