// The syscall buffer and calls that may block (native/syscallbuf/syscallbuf.c may_read_now,
// may_write_now, run_here): each is buffered only when an untraced check in the program says it will
// not block, and traced otherwise, where the recorder leaves a waiting task in the kernel and runs the
// others. sbblock.c's cases are recorded with the buffer under a deadline (a call run untraced that
// blocked would stall the recorder's one-task-at-a-time schedule), compared with a native run and
// replayed; the trace must show the calls that could not block as buffered and those that had to wait
// as traced.
import * as assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('syscallbuf-blocking');
after(() => space.cleanup());

/** Recording must finish well within this: a buffered call that blocked would hang it. */
const DEADLINE_MS = 120_000;

interface Call { buffered: boolean; tid: number; name: string; args: bigint[]; result: bigint }

/** Every syscall of the dump, buffered ([buffered N] lines) or traced (event lines). */
function calls(dump: string): Call[] {
  const out: Call[] = [];
  const re = /^(?: {2}\[buffered \d+\]|\d+:) tid (\d+) (\w+)\(([^)]*)\) = (-?(?:0x)?[0-9a-f]+)/gm;
  for (const m of dump.matchAll(re)) {
    out.push({
      buffered: m[0].startsWith(' '),
      tid: Number(m[1]),
      name: m[2]!,
      args: m[3]!.split(', ').filter(Boolean).map((a) => BigInt(a)),
      result: BigInt(m[4]!),
    });
  }
  return out;
}

async function recordCase(mode: string): Promise<{ rec: RecordResult; all: Call[]; dump: string }> {
  const prog = compileProgram('sbblock');
  const rec = await record(prog, [mode], { space, extraArgs: ['--syscall-buffer'], timeoutMs: DEADLINE_MS });
  assert.ok(!rec.timedOut, `recording ${mode} did not finish within ${DEADLINE_MS} ms\n${explain(rec)}`);
  assertRecordedOk(rec, 0);
  const native = await runNative(prog, [mode]);
  assert.equal(native.status, 0, explain(native));
  assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
  const d = await rewind(['dump', rec.traceDir]);
  assert.equal(d.status, 0, explain(d));
  const dump = d.stdout.toString();
  return { rec, all: calls(dump), dump };
}

const count = (all: Call[], pred: (c: Call) => boolean): number => all.filter(pred).length;
const FUTEX_CMD = (op: bigint): bigint => op & ~384n; // without FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
const FUTEX_WAIT = 0n, FUTEX_WAKE = 1n, FUTEX_WAIT_BITSET = 9n;

describe('sbblock.c: calls that may block, with the syscall buffer', () => {
  test('condvar: futex wakes buffered (waking waiters left in the kernel), waits that wait traced; ready pipe reads buffered', async () => {
    const { rec, all, dump } = await recordCase('condvar');
    assert.match(rec.stdout.toString(), /^condvar sum 20100 doubled 40200 taken 200$/m);
    const wakes = all.filter((c) => c.name === 'futex' && FUTEX_CMD(c.args[1]!) === FUTEX_WAKE);
    assert.ok(wakes.length > 0 && wakes.every((c) => c.buffered), `futex wakes: ${wakes.length}, traced ${count(wakes, (c) => !c.buffered)}`);
    assert.ok(wakes.some((c) => c.result >= 1n), 'a buffered wake woke a waiter');
    const waits = all.filter((c) => c.name === 'futex' && [FUTEX_WAIT, FUTEX_WAIT_BITSET].includes(FUTEX_CMD(c.args[1]!)));
    // A wait that returned 0 was woken: it waited, so it was traced (the buffer's try timed out).
    assert.ok(waits.some((c) => !c.buffered && c.result === 0n), `traced futex waits that waited:\n${dump.slice(0, 3000)}`);
    assert.equal(count(waits, (c) => c.buffered && c.result !== -11n), 0, 'a buffered wait that did not fail with EAGAIN');
    const pipeReads = all.filter((c) => c.name === 'read' && c.args[2] === 8n);
    assert.ok(count(pipeReads, (c) => c.buffered) > 0, 'pipe reads with data waiting buffered');
    assert.ok(count(all, (c) => c.name === 'write' && c.args[2] === 8n && c.buffered) > 0, 'pipe writes with room buffered');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('sockets: nonblocking send and recv buffered; poll and epoll_wait buffered when ready, traced when they wait', async () => {
    const { rec, all } = await recordCase('sockets');
    assert.match(rec.stdout.toString(), /^sockets sent 20100 back 220100 \(EAGAIN first\)$/m);
    for (const name of ['sendto', 'recvfrom']) {
      const these = all.filter((c) => c.name === name);
      assert.ok(these.length >= 400 && these.every((c) => c.buffered), `${name}: ${these.length}, traced ${count(these, (c) => !c.buffered)}`);
    }
    assert.ok(count(all, (c) => c.name === 'recvfrom' && c.result === -11n) > 0, 'the recv that found nothing: -EAGAIN buffered');
    for (const name of ['poll', 'epoll_wait']) {
      const these = all.filter((c) => c.name === name);
      assert.ok(count(these, (c) => c.buffered && c.result === 1n) > 0, `${name}: none buffered ready`);
      assert.ok(count(these, (c) => !c.buffered && c.result === 1n) > 0, `${name}: none traced (waited)`);
      assert.equal(count(these, (c) => c.buffered && c.result === 0n), 0, `${name}: a buffered call with a timeout of -1 returned 0`);
    }
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('pipewait: a blocking pipe read with data waiting is buffered, one whose writer comes 200 ms later is traced', async () => {
    const { rec, all } = await recordCase('pipewait');
    assert.match(rec.stdout.toString(), /^pipewait 5 4 0 readylate$/m);
    const reads = all.filter((c) => c.name === 'read' && (c.args[2] === 16n || c.args[2] === 11n));
    assert.deepEqual(reads.map((c) => `${c.buffered ? 'buffered' : 'traced'} ${c.result}`), ['buffered 5', 'traced 4', 'buffered 0']);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});
