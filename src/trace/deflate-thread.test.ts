import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { type SyscallEvent, SyscallMode } from './events.js';
import type { TraceMetaStart } from './meta.js';
import { TraceReader } from './trace-reader.js';
import { FLUSH_BYTES, TraceWriter } from './trace-writer.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-deflate-thread-test-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
const tmpDir = (): string => path.join(tmpRoot, `t${tmpCount++}`);

const START: TraceMetaStart = {
  command: ['./prog'], exe: '/home/u/prog', cwd: '/home/u', startTime: '2024-05-01T12:00:00.000Z',
  hostname: 'box', kernel: '6.8.0', rewindVersion: '0.1.0', cpu: -1, cpuidFaulting: false,
};
const END = { events: 0, exitCode: 0, exitSignal: null, endTime: '2024-05-01T12:00:01.000Z', durationMs: 1000 };

/** A write of a little more than FLUSH_BYTES of compressible bytes: every append writes a chunk, whatever the clock says. */
function bigWrite(i: number): SyscallEvent {
  const data = new Uint8Array(FLUSH_BYTES + 4096);
  let x = i * 2654435761;
  for (let k = 0; k < data.length; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[k] = k % 7 === 0 ? x >>> 24 : (k >> 6) & 0xff;
  }
  const regs = new BigUint64Array(27);
  regs[16] = 0x401000n + BigInt(i);
  return { kind: 'syscall', tid: 100, nr: 1, mode: SyscallMode.Executed, regs, result: BigInt(data.length), writes: [{ addr: 0x10000n, data }], file: null, echo: 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (60 s at most: a loaded machine) until w's deflate thread runs. */
async function threadRunning(w: TraceWriter): Promise<void> {
  for (let waited = 0; !w.deflateThreadRunning; waited += 20) {
    assert.ok(waited < 60_000, 'the deflate thread did not start in 60 s');
    await sleep(20);
  }
}

/** Writes n big events (with a thread: waiting for it to run after the first, which starts it), then finishes. */
async function writeBig(dir: string, n: number, thread: boolean): Promise<TraceWriter> {
  const w = TraceWriter.create(dir, START, thread ? { deflateThread: { cpu: -1 } } : {});
  for (let i = 0; i < n; i++) {
    w.append(bigWrite(i));
    if (i === 0 && thread) await threadRunning(w); // it takes every chunk once it runs
  }
  w.finish({ ...END, events: n });
  return w;
}

test('the deflate thread writes the events file byte for byte as the writer alone does', async () => {
  const alone = tmpDir();
  const threaded = tmpDir();
  const a = await writeBig(alone, 12, false);
  const t = await writeBig(threaded, 12, true);
  assert.equal(a.threadChunkCount, 0);
  assert.equal(t.threadChunkCount, 11, `the thread wrote ${t.threadChunkCount} of the ${t.chunkCount} chunks`);
  assert.equal(t.chunkCount, a.chunkCount);
  const fa = fs.readFileSync(path.join(alone, 'events'));
  const ft = fs.readFileSync(path.join(threaded, 'events'));
  assert.ok(fa.equals(ft), `events files differ (${fa.length} and ${ft.length} bytes)`);
  const reader = TraceReader.open(threaded);
  const events = [...reader.events()];
  assert.equal(reader.endState, 'complete');
  assert.deepEqual(events, Array.from({ length: 12 }, (_, i) => bigWrite(i)));
});

test('flush() and close() wait for the chunks the thread holds', async () => {
  const dir = tmpDir();
  const w = TraceWriter.create(dir, START, { deflateThread: { cpu: -1 } });
  w.append(bigWrite(0));
  await threadRunning(w);
  for (let i = 1; i < 6; i++) w.append(bigWrite(i));
  w.flush();
  assert.equal(w.threadChunkCount, 5);
  assert.equal([...TraceReader.open(dir).events()].length, 6);
  for (let i = 6; i < 9; i++) w.append(bigWrite(i));
  w.close();
  const reader = TraceReader.open(dir);
  assert.equal([...reader.events()].length, 9);
  assert.equal(reader.endState, 'truncated'); // close() writes no end marker
});

// A process that hands chunks to the thread and SIGKILLs itself while the thread still holds some.
const KILLED_CHILD = `
import { TraceWriter, FLUSH_BYTES } from ${JSON.stringify(new URL('./trace-writer.js', import.meta.url).href)};
import { writeSync } from 'node:fs';
${bigWrite.toString()}
const w = TraceWriter.create(process.argv[1], ${JSON.stringify(START)}, { deflateThread: { cpu: -1 } });
w.append(bigWrite(0));
while (!w.deflateThreadRunning) await new Promise((r) => setTimeout(r, 20));
for (let i = 1; i < 10; i++) w.append(bigWrite(i));
writeSync(1, 'handed ' + w.threadChunkCount + ' in flight ' + (w.threadChunkCount > 0 && w['thread'].busy) + '\\n');
process.kill(process.pid, 'SIGKILL');
`;

test('a recorder SIGKILLed while the thread holds chunks leaves a trace of the chunks written, then truncated', () => {
  for (let attempt = 0; ; attempt++) {
    const dir = tmpDir();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', KILLED_CHILD, dir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const m = /^handed (\d+) in flight (true|false)$/m.exec(r.stdout);
    assert.ok(m, `the child said ${JSON.stringify(r.stdout)} ${r.stderr}`);
    assert.equal(Number(m[1]), 9, r.stdout);
    if (m[2] === 'false' && attempt < 5) continue; // the thread had written everything already: try again
    assert.equal(m[2], 'true', `the thread never held a chunk at the kill in ${attempt + 1} attempts`);
    const reader = TraceReader.open(dir);
    const events = [...reader.events()];
    assert.equal(reader.endState, 'truncated');
    assert.equal(reader.meta.end, null);
    assert.ok(events.length < 10, `${events.length} events: the kill came before the thread wrote them all`);
    assert.deepEqual(events, Array.from({ length: events.length }, (_, i) => bigWrite(i)));
    return;
  }
});

