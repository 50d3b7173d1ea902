// End-to-end tests of server.ts over a real loopback TCP socket, driving the session with raw
// packets: acks and no-ack mode, nacks and retransmission, ^C during a long resume, split and
// oversized packets, clients that vanish mid-packet, a second client, detach/kill/abort.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveGdb, type ServeOptions, type ServeResult } from './server.js';
import { RawClient } from './testing/raw-client.js';
import { ScriptedTarget, type ScriptedTargetOptions } from './testing/scripted-target.js';

async function start(extra: Partial<ScriptedTargetOptions> = {}, opts: ServeOptions = {}) {
  const target = new ScriptedTarget({
    pid: 0x1092,
    history: [0x401000n, 0x401001n, 0x401004n],
    memory: [{ addr: 0x401000n, data: Uint8Array.from([0x90, 0x48, 0x31, 0xc0]) }],
    ...extra,
  });
  let port = 0;
  const listening = new Promise<void>((resolve) => {
    opts = { ...opts, onListening: (a) => ((port = a.port), resolve()) };
  });
  const done: Promise<ServeResult> = serveGdb(target, { host: '127.0.0.1', port: 0, ...opts });
  await listening;
  return { target, done, port, connect: () => RawClient.connect(port) };
}

test('ack-mode handshake, no-ack mode, memory, detach resolves the server', async () => {
  const { done, connect, target } = await start();
  const c = await connect();
  const features = await c.ask('qSupported:multiprocess+;swbreak+;hwbreak+');
  assert.match(features, /^PacketSize=4000;QStartNoAckMode\+;/);
  assert.equal(await c.ask('QStartNoAckMode'), 'OK');
  assert.equal(await c.ask('?', { noAck: true }), 'T05thread:p1092.1092;');
  assert.equal(await c.ask('m401000,4', { noAck: true }), '904831c0');
  assert.equal(await c.ask('vCont;s:p1092.1092', { noAck: true }), 'T05thread:p1092.1092;');
  assert.equal(await c.ask('D', { noAck: true }), 'OK');
  await c.waitClosed();
  assert.deepEqual(await done, { reason: 'detach' });
  assert.equal(target.calls.at(-1), 'detach');
  assert.equal(c.pending, '');
});

test('bad checksum gets "-", a nack gets the reply again', async () => {
  const { done, connect } = await start();
  const c = await connect();
  c.write('$g#00');
  assert.equal(await c.take(1), '-');
  c.send('m401000,2');
  assert.equal(await c.take(1), '+');
  assert.equal(await c.reply({ noAck: true }), '9048');
  c.write('-');
  assert.equal(await c.reply(), '9048');
  c.send('k');
  assert.equal(await c.take(1), '+');
  await c.waitClosed();
  assert.deepEqual(await done, { reason: 'kill' });
});

test('garbage, NULs, a packet split into single bytes, and $#00', async () => {
  const { done, connect } = await start();
  const c = await connect();
  c.write('\x00\x00garbage+++');
  for (const ch of RawClient.frame('m401001,2')) {
    c.write(ch);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await c.take(1), '+');
  assert.equal(await c.reply(), '4831');
  assert.equal(await c.ask(''), '');
  c.write('$#00');
  assert.equal(await c.take(1), '+');
  assert.equal(await c.reply(), '');
  assert.equal(await c.ask('vKill;1092'), 'OK');
  assert.deepEqual(await done, { reason: 'kill' });
});

test('^C interrupts a resume that would never end; the session continues', async () => {
  const { done, connect, target } = await start({ hang: true });
  const c = await connect();
  await c.ask('QStartNoAckMode');
  c.send('vCont;c');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.pending, '');
  c.write('\x03');
  assert.equal(await c.reply({ noAck: true }), 'T02thread:1092;');
  assert.ok(target.calls.includes('interrupt'));
  // ^C while stopped is ignored.
  c.write('\x03');
  assert.equal(await c.ask('m401000,1', { noAck: true }), '90');
  assert.equal(target.calls.filter((x) => x === 'interrupt').length, 1);
  // ^C right behind the resume packet still interrupts it.
  c.write(RawClient.frame('c') + '\x03');
  assert.equal(await c.reply({ noAck: true }), 'T02thread:1092;');
  assert.equal(await c.ask('D', { noAck: true }), 'OK');
  assert.deepEqual(await done, { reason: 'detach' });
});

test('a client vanishing mid-packet or mid-resume leaves the server for the next client', async () => {
  const { done, connect, target } = await start({ hang: true });
  const a = await connect();
  a.write('$m401000,');
  a.close();
  // The server takes a newcomer once the previous client's work has wound down, and closes any that
  // comes sooner (however long the winding down takes on a busy machine): retry until one is answered.
  const nextClient = async (first: string) => {
    for (;;) {
      const client = await connect();
      try {
        return { client, reply: await client.ask(first) };
      } catch (e) {
        if (!client.closed) throw e;
      }
    }
  };
  const { client: b, reply: memory } = await nextClient('m401000,1');
  assert.equal(memory, '90');
  b.send('c');
  await b.take(1);
  b.close(); // gone while the target runs: the server interrupts it
  const { client: c, reply: status } = await nextClient('?');
  assert.ok(target.calls.includes('interrupt'));
  assert.equal(status, 'T02thread:1092;');
  assert.equal(await c.ask('D'), 'OK');
  assert.deepEqual(await done, { reason: 'detach' });
});

test('a second client is refused while one is connected', async () => {
  const { done, connect } = await start();
  const first = await connect();
  assert.equal(await first.ask('m401000,1'), '90');
  const second = await connect();
  await second.waitClosed();
  assert.equal(await first.ask('m401001,1'), '48');
  assert.equal(await first.ask('D'), 'OK');
  assert.deepEqual(await done, { reason: 'detach' });
});

test('an oversized packet is discarded and answered E01, with bounded buffering', async () => {
  const { done, connect } = await start({}, { maxPacketBytes: 64 });
  const c = await connect();
  c.write('$' + 'A'.repeat(100000) + '#00');
  assert.equal(await c.take(1), '+');
  assert.equal(await c.reply(), 'E01');
  c.write('$' + 'B'.repeat(5000)); // never terminated; the next '$' ends it
  assert.equal(await c.ask('m401000,1'), '90');
  assert.equal(await c.ask('D'), 'OK');
  assert.deepEqual(await done, { reason: 'detach' });
});

test('aborting stops the server', async () => {
  const controller = new AbortController();
  const { done, connect } = await start({}, { signal: controller.signal });
  const c = await connect();
  assert.equal(await c.ask('m401000,1'), '90');
  controller.abort();
  assert.deepEqual(await done, { reason: 'aborted' });
  await c.waitClosed();
});

test('a port in use rejects; a throwing interrupt() does not break the connection', async () => {
  const controller = new AbortController();
  const { done, connect, target, port } = await start({ hang: true }, { signal: controller.signal });
  await assert.rejects(serveGdb(target, { port }), /EADDRINUSE/);
  Object.assign(target, { interrupt: () => { throw new Error('engine bug'); } });
  const c = await connect();
  c.send('c');
  await c.take(1);
  c.write('\x03');
  await new Promise((r) => setTimeout(r, 50));
  c.close();
  // The resume never ends now; abort is the way out.
  assert.equal(await Promise.race([done.then(() => 'done'), new Promise((r) => setTimeout(() => r('pending'), 50))]), 'pending');
  controller.abort();
  assert.deepEqual(await done, { reason: 'aborted' });
});

test('extended mode: vKill and a failed vRun keep the connection; hanging up ends the server', async () => {
  const { done, connect, target } = await start({ restartable: true, history: [0x401000n, 0x401001n, 0x401004n] });
  const c = await connect();
  await c.ask('qSupported:multiprocess+');
  assert.equal(await c.ask('!'), 'OK');
  assert.equal(await c.ask('vKill;1092'), 'OK');
  assert.equal(await c.ask('vRun;;' + Buffer.from('nowhere').toString('hex')), 'E16');
  assert.equal(await c.ask('vRun;'), 'T05thread:p1092.1092;');
  assert.equal(await c.ask('vCont;c'), 'T00thread:p1092.1092;');
  assert.equal(await c.ask('vCont;c'), 'T05thread:p1092.1092;replaylog:end;');
  assert.equal(await c.ask('vKill;1092'), 'OK');
  assert.equal(c.closed, false);
  c.close();
  assert.deepEqual(await done, { reason: 'disconnect' });
  assert.ok(!target.calls.includes('kill'));
});

test('a packet resent before its reply went out (a late ack) is acknowledged and answered once', async () => {
  const { done, connect } = await start();
  const c = await connect();
  // What a server whose event loop was blocked finds in its socket: gdb's packet and its retransmission.
  c.write(RawClient.frame('qSupported:multiprocess+') + RawClient.frame('qSupported:multiprocess+'));
  assert.equal(await c.take(2), '++');
  assert.match(await c.reply(), /^PacketSize=/);
  c.write(RawClient.frame('QStartNoAckMode') + RawClient.frame('QStartNoAckMode'));
  assert.equal(await c.take(2), '++');
  assert.equal(await c.reply({ noAck: true }), 'OK');
  // The next request's reply comes next: no second OK in between.
  assert.equal(await c.ask('m401000,2', { noAck: true }), '9048');
  // In no-ack mode there are no retransmissions: the same packet twice is asked twice.
  c.send('m401000,2');
  c.send('m401000,2');
  assert.equal(await c.reply({ noAck: true }), '9048');
  assert.equal(await c.reply({ noAck: true }), '9048');
  assert.equal(await c.ask('D', { noAck: true }), 'OK');
  await c.waitClosed();
  assert.deepEqual(await done, { reason: 'detach' });
  assert.equal(c.pending, '');
});
