// Tests for stop-reply.ts and signals.ts. Expected replies are written out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gdbToLinuxSignal, linuxToGdbSignal } from './signals.js';
import { formatStopReply, type StopReplyOptions } from './stop-reply.js';

const MP: StopReplyOptions = { multiprocess: true, swbreak: true, hwbreak: true };
const PLAIN: StopReplyOptions = { multiprocess: false, swbreak: false, hwbreak: false };
const thread = { pid: 0x1092, tid: 0x1093 };

test('thread stops', () => {
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 5 }, MP), 'T05thread:p1092.1093;');
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 5 }, PLAIN), 'T05thread:1093;');
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 10 }, PLAIN), 'T1ethread:1093;');
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 5, event: { type: 'swbreak' } }, MP), 'T05thread:p1092.1093;swbreak:;');
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 5, event: { type: 'hwbreak' } }, MP), 'T05thread:p1092.1093;hwbreak:;');
  // Without swbreak+/hwbreak+ from gdb the fields are left out.
  assert.equal(formatStopReply({ kind: 'signal', thread, signal: 5, event: { type: 'swbreak' } }, PLAIN), 'T05thread:1093;');
});

test('watchpoints and history edges', () => {
  const at = (event: Parameters<typeof formatStopReply>[0] & { kind: 'signal' }) => formatStopReply(event, PLAIN);
  assert.equal(at({ kind: 'signal', thread, signal: 5, event: { type: 'watch', access: 'write', addr: 0x7ffe10n } }), 'T05thread:1093;watch:7ffe10;');
  assert.equal(at({ kind: 'signal', thread, signal: 5, event: { type: 'watch', access: 'read', addr: 0x10n } }), 'T05thread:1093;rwatch:10;');
  assert.equal(at({ kind: 'signal', thread, signal: 5, event: { type: 'watch', access: 'access', addr: 0x10n } }), 'T05thread:1093;awatch:10;');
  assert.equal(at({ kind: 'signal', thread, signal: 5, event: { type: 'replaylog', edge: 'begin' } }), 'T05thread:1093;replaylog:begin;');
  assert.equal(at({ kind: 'signal', thread, signal: 5, event: { type: 'replaylog', edge: 'end' } }), 'T05thread:1093;replaylog:end;');
});

test('process ends', () => {
  assert.equal(formatStopReply({ kind: 'exited', pid: 0x1092, status: 0 }, PLAIN), 'W00');
  assert.equal(formatStopReply({ kind: 'exited', pid: 0x1092, status: 3 }, MP), 'W03;process:1092');
  assert.equal(formatStopReply({ kind: 'terminated', pid: 0x1092, signal: 9 }, MP), 'X09;process:1092');
  assert.equal(formatStopReply({ kind: 'terminated', pid: 0x1092, signal: 17 }, PLAIN), 'X14');
});

test('Linux and gdb signal numbers', () => {
  const pairs: [number, number][] = [[2, 2], [5, 5], [7, 10], [10, 30], [11, 11], [12, 31], [17, 20], [19, 17], [23, 16], [29, 23], [31, 12], [32, 77], [33, 45], [64, 143]];
  for (const [linux, gdb] of pairs) assert.equal(linuxToGdbSignal(linux), gdb, `linux ${linux}`);
  for (let s = 1; s <= 63; s++) if (s !== 16) assert.equal(gdbToLinuxSignal(linuxToGdbSignal(s)), s, `round trip ${s}`);
  assert.equal(gdbToLinuxSignal(7), null); // SIGEMT: none on Linux
  assert.equal(gdbToLinuxSignal(143), null);
});
