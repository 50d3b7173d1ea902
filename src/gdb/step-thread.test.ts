// Which thread a legacy step (s, bs) steps when gdb's Hc selection is "any": the thread selected with
// Hg, as gdbserver does (gdb has no vCont form for reverse steps: after `thread 2`, reverse-stepi
// sends Hg for thread 2, Hc any, then bs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latin1Bytes, latin1Text } from './encoding.js';
import { GdbSession } from './session.js';
import { ScriptedTarget } from './testing/scripted-target.js';

function setup() {
  const target = new ScriptedTarget({ pid: 0x1092, tids: [0x1092, 0x1093], history: [0x401000n, 0x401001n, 0x401004n], memory: [] });
  const session = new GdbSession(target);
  const one = async (packet: string): Promise<string> => {
    const replies = (await session.handle(latin1Bytes(packet))).packets.map((p) => latin1Text(p));
    assert.equal(replies.length, 1, `${packet} → ${JSON.stringify(replies)}`);
    return replies[0]!;
  };
  return { target, one };
}

test('bs with Hc any steps the Hg thread, not the last stop\'s', async () => {
  const { one, target } = setup();
  await one('qSupported:multiprocess+');
  assert.equal(await one('vCont;c'), 'T05thread:p1092.1092;replaylog:end;');
  assert.equal(await one('Hgp1092.1093'), 'OK');
  assert.equal(await one('Hcp1092.0'), 'OK');
  await one('bs');
  assert.equal(target.calls.filter((c) => c.startsWith('resume')).at(-1), 'resume backward step 4243 sig=0');
});

test('with Hg any (or a thread that is gone) the step falls back to the last stop\'s thread', async () => {
  const { one, target } = setup();
  await one('qSupported:multiprocess+');
  await one('vCont;c');
  assert.equal(await one('Hgp1092.0'), 'OK');
  assert.equal(await one('Hc-1'), 'OK');
  await one('s');
  assert.equal(target.calls.filter((c) => c.startsWith('resume')).at(-1), 'resume forward step 4242 sig=0');
});
