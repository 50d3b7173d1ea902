// "Replay really re-executes the program." Matching output alone does not prove it: a replayer that
// only echoed the recorded writes would match too. These tests tell the two apart:
//   - CPU time: loop.c spends most of its time computing in user space. A replay that re-executes
//     spends at least about as much CPU (measured as the children CPU time of the replay command).
//     An echoing replayer would use only its own start-up time.
//   - Tampering: loop.c reads a mode byte from its .rodata at run time. Patching that byte in the
//     trace's copy of the executable makes the re-executed program take another path (an extra
//     system call before its first write), which replay must report as a divergence (exit 125, one
//     line). An echoing replayer, or one that ran something other than the trace's copy, would print
//     the recording's output and exit 0.
//   - Repeatability: two replays both match the recording.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertDiffer, assertOneLineError, assertRecordedOk, assertReplayMatches, isPrefix } from '../helpers/checks.js';
import {
  bytesEqual,
  compileProgram,
  u8,
  explain,
  record,
  replay,
  rewindBin,
  run,
  runNative,
  TempSpace,
  type RecordResult,
} from '../helpers/harness.js';

const space = new TempSpace('reexecution');
after(() => space.cleanup());

const ITERATIONS = '400000000';
const MARKER = Buffer.from('REWIND-LOOP-MODE:A');

/** Runs argv under bash and returns the children's user+system CPU seconds (bash `times`) and status. */
async function cpuOf(argv: string[], outFile: string): Promise<{ cpu: number; status: number; text: string }> {
  const r = await run('/bin/bash', ['-c', '"$@" >"$OUT" 2>"$OUT.err"; s=$?; times; echo "status $s"', 'bash', ...argv], {
    env: { ...process.env, OUT: outFile },
    timeoutMs: 120_000,
  });
  const text = r.stdout.toString();
  // `times` prints two lines: the shell's own user/sys, then its children's: "0m1.234s 0m0.010s".
  const lines = text.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[1] ?? '');
  const st = /^status (\d+)$/.exec(lines[2] ?? '');
  assert.ok(m && st, `cannot parse bash times output\n${explain(r)}`);
  const cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return { cpu, status: Number(st[1]), text };
}

describe('loop.c: replay re-executes the program', () => {
  let exe = '';
  let rec: RecordResult;

  before(async () => {
    // A private copy of the binary: the tamper test patches the trace's copy, which must never be
    // the shared cached build (a recorder may hard-link files instead of copying them).
    const dir = space.mkdir('loop-');
    exe = path.join(dir, 'loop');
    fs.copyFileSync(compileProgram('loop'), exe);
    fs.chmodSync(exe, 0o755);
    rec = await record(exe, [ITERATIONS], { space, timeoutMs: 120_000 });
  });

  it('prints different things in two native runs (seed, checksum, buffer address)', async () => {
    const a = await runNative(exe, ['1000']);
    const b = await runNative(exe, ['1000']);
    assert.equal(a.status, 0, explain(a));
    assertDiffer(a, b, 'loop');
  });

  it('records to EXIT-SUCCESS with a checksum', () => {
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /\nchecksum [0-9a-f]{16} buffer 0x[0-9a-f]+ buffer-hash [0-9a-f]{16}\n/, explain(rec));
    assert.ok(!rec.stdout.toString().includes('mode '), explain(rec));
  });

  it('two replays in a row both match the recording', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: 120_000 }));
    assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: 120_000 }));
  });

  it('replay uses at least half the CPU time of a native run (it computes; it does not just echo)', async () => {
    assertRecordedOk(rec, 0);
    const outDir = space.mkdir('cpu-');
    const native = await cpuOf([exe, ITERATIONS], path.join(outDir, 'native'));
    assert.equal(native.status, 0, native.text);
    assert.ok(native.cpu >= 0.2, `the native loop was too quick to measure (${native.cpu}s): raise ITERATIONS`);
    const rep = await cpuOf([rewindBin, 'replay', '-a', rec.traceDir], path.join(outDir, 'replay'));
    const repOut = fs.readFileSync(path.join(outDir, 'replay'));
    assert.equal(rep.status, 0, `replay failed: ${rep.text}\n${fs.readFileSync(path.join(outDir, 'replay.err'), 'utf8')}`);
    assert.ok(bytesEqual(repOut, rec.stdout), `replay stdout differs from the recording's\n${repOut.toString()}\n---\n${rec.stdout.toString()}`);
    assert.ok(
      rep.cpu >= 0.5 * native.cpu,
      `replay used ${rep.cpu.toFixed(3)} s of CPU, a native run ${native.cpu.toFixed(3)} s: replay does not seem to execute the loop`,
    );
  });

  it('patching the mode byte in the trace\'s copy of the executable makes replay diverge (exit 125, one line)', async () => {
    assertRecordedOk(rec, 0); // a failed recording could "diverge" for other reasons
    // Work on a copy of the trace so the other tests keep a good one.
    const tampered = path.join(space.mkdir('tampered-'), 'trace');
    fs.cpSync(rec.traceDir, tampered, { recursive: true });
    const filesDir = path.join(tampered, 'files');
    const patched: string[] = [];
    const candidates = fs.existsSync(filesDir) ? fs.readdirSync(filesDir) : [];
    for (const name of candidates) {
      const p = path.join(filesDir, name);
      if (!fs.statSync(p).isFile()) continue;
      const data = fs.readFileSync(p);
      const at = data.indexOf(u8(MARKER));
      if (at < 0) continue;
      data[at + MARKER.length - 1] = 'B'.charCodeAt(0);
      fs.rmSync(p); // a new file: never write through a hard link
      fs.writeFileSync(p, u8(data), { mode: 0o755 });
      patched.push(name);
    }
    assert.ok(
      patched.length > 0,
      `no file in the trace's files/ folder holds loop.c's marker; files/ has: ${candidates.join(', ') || '(nothing)'}`,
    );
    const rep = await replay(tampered, { timeoutMs: 120_000 });
    assert.equal(rep.timedOut, false, explain(rep));
    assert.equal(rep.status, 125, `replay of a trace whose executable copy was patched should diverge\n${explain(rep)}`);
    assertOneLineError(rep, 'divergence');
    assert.ok(isPrefix(rep.stdout, rec.stdout), `replay printed something the recording did not\n${explain(rep)}`);
  });
});
