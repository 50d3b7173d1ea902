// The read-ahead thread (inflate-thread.ts, inflate-worker.ts): a reader that takes the chunks it
// inflated ahead gives the same events, the same end state and the same error for a damaged chunk as
// one that reads every chunk itself.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { native } from '../native/addon.js';
import { type SyscallEvent, SyscallMode, type TraceEvent } from './events.js';
import type { TraceMetaStart } from './meta.js';
import { TraceReader } from './trace-reader.js';
import { FLUSH_BYTES, TraceWriter } from './trace-writer.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-inflate-thread-test-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
// The thread starts once the reading thread is pinned to one CPU (a replay's): this process's is.
before(() => assert.equal(native.setAffinity(0, 0), 0));

const START: TraceMetaStart = {
  command: ['./prog'], exe: '/home/u/prog', cwd: '/home/u', startTime: '2024-05-01T12:00:00.000Z',
  hostname: 'box', kernel: '6.8.0', rewindVersion: '0.1.0', cpu: -1, cpuidFaulting: false,
};

/** A write of FLUSH_BYTES of bytes that barely compress: each event is a chunk of its own, 20 of them ~20 MiB of file. */
function bigWrite(i: number): SyscallEvent {
  const data = new Uint8Array(FLUSH_BYTES);
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < data.length; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[k] = x >>> 24;
  }
  const regs = new BigUint64Array(27);
  regs[16] = 0x401000n + BigInt(i);
  return { kind: 'syscall', tid: 100, nr: 0, mode: SyscallMode.Emulated, regs, result: BigInt(data.length), writes: [{ addr: 0x10000n, data }], file: null, echo: 0 };
}

const N = 20;
const dir = path.join(tmpRoot, 'trace');
before(() => {
  const w = TraceWriter.create(dir, START);
  for (let i = 0; i < N; i++) w.append(bigWrite(i));
  w.finish({ events: N, exitCode: 0, exitSignal: null, endTime: '2024-05-01T12:00:01.000Z', durationMs: 1000 });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * All events of the trace at d, read with the thread (once it runs, after the first event) or without;
 * `patient`: before each of the events 2..N, waiting (up to 10 s) until the thread holds its chunk.
 */
async function readAll(d: string, ahead: boolean, patient = false): Promise<{ events: TraceEvent[]; end: string; taken: number; sent: number; error: string | null }> {
  const reader = TraceReader.open(d);
  if (ahead) reader.readAhead(() => 1 % os.cpus().length);
  const events: TraceEvent[] = [];
  const it = reader.events();
  let error: string | null = null;
  try {
    const first = it.next();
    if (!first.done) events.push(first.value);
    for (let waited = 0; ahead && !reader.readAheadState.running; waited += 20) {
      assert.ok(waited < 60_000, 'the read-ahead thread did not start in 60 s');
      await sleep(20);
    }
    for (;;) {
      for (let waited = 0; patient && events.length < N && !reader.readAheadState.nextReady && waited < 10_000; waited += 5) await sleep(5);
      const r = it.next();
      if (r.done) break;
      events.push(r.value);
    }
  } catch (e) {
    error = (e as Error).message;
  }
  return { events, end: reader.endState, taken: reader.readAheadState.taken, sent: reader.readAheadState.sent, error };
}

test('with the read-ahead thread, the same events as without; the thread gave most chunks', async () => {
  const alone = await readAll(dir, false);
  // The reader waits 20 ms at most for a chunk and gives the thread up after a few misses: on a
  // machine loaded by other work (CI's parallel tests on the thread's CPU, where it runs at nice 19)
  // the thread may not have run in time. Then a second read waits for the thread before each chunk,
  // as a replay busy between chunks gives it time: it must give most chunks in one of the two; a
  // thread that never runs, or gives wrong chunks, gives none.
  let ahead = await readAll(dir, true);
  if (ahead.taken < N - 4) ahead = await readAll(dir, true, true);
  assert.equal(alone.end, 'complete');
  assert.equal(ahead.end, 'complete');
  assert.equal(ahead.events.length, N);
  assert.deepEqual(ahead.events, alone.events);
  assert.deepEqual(ahead.events[7], bigWrite(7));
  assert.ok(ahead.taken >= N - 4, `the thread gave ${ahead.taken} of ${N} chunks`);
  // Chunks of ~1 MiB: their bytes come through the thread's port, moved, not copied out of a slot.
  assert.equal(ahead.sent, ahead.taken);
});

test('a truncated trace: the same events, then truncated; a damaged chunk: the same error', async () => {
  const file = path.join(dir, 'events');
  const size = fs.statSync(file).size;
  const cut = path.join(tmpRoot, 'cut');
  fs.cpSync(dir, cut, { recursive: true });
  fs.truncateSync(path.join(cut, 'events'), Math.floor(size * 0.7));
  const [a, b] = [await readAll(cut, false), await readAll(cut, true)];
  assert.equal(a.end, 'truncated');
  assert.equal(b.end, 'truncated');
  assert.ok(a.events.length > 5 && a.events.length < N, `${a.events.length} events`);
  assert.deepEqual(b.events, a.events);

  const bad = path.join(tmpRoot, 'bad');
  fs.cpSync(dir, bad, { recursive: true });
  const fd = fs.openSync(path.join(bad, 'events'), 'r+');
  fs.writeSync(fd, new Uint8Array([0x55, 0xaa, 0x55]), 0, 3, Math.floor(size * 0.6));
  fs.closeSync(fd);
  const [c, d] = [await readAll(bad, false), await readAll(bad, true)];
  assert.match(c.error ?? '', /corrupt trace .*events chunk \d+ at byte \d+ fails its checksum/);
  assert.equal(d.error, c.error);
  assert.deepEqual(d.events, c.events);
});
