// The calls the syscall buffer runs again at replay (rt_sigprocmask, rt_sigaction, madvise: the
// syscall table executes them): recorded inside the program, run for real at replay and compared with
// the record. Signals a buffered rt_sigprocmask unblocks (an interval timer's, another thread's tgkill)
// are recorded and replayed in whatever mode the suite runs (the buffer on by default, off with
// REWIND_NO_SYSCALL_BUFFER=1); the rest force the buffer on. A trace whose record of an old mask was
// changed (in a copy, its events only) diverges there, naming the `buffered` event and the call.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';
import { tamperedCopy } from '../helpers/trace-edit.js';

const space = new TempSpace('sb-executed');
after(() => space.cleanup());

const BUFFER_CODE_START = 0x7fffc0000000n;
const BUFFER_CODE_END = 0x7fffc0030000n;

async function recordCase(args: string[], extraArgs: string[] = []): Promise<{ rec: RecordResult; dump: string; buffered: boolean }> {
  const exe = compileProgram('sb-executed');
  const rec = await record(exe, args, { space, extraArgs });
  assertRecordedOk(rec, 0);
  const native = await runNative(exe, args);
  assert.equal(native.status, 0, explain(native));
  assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
  const d = await rewind(['dump', rec.traceDir]);
  assert.equal(d.status, 0, explain(d));
  const meta = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as { syscallBuffer?: boolean };
  return { rec, dump: d.stdout.toString(), buffered: meta.syscallBuffer === true };
}

/** How many records of each call the dump shows buffered. */
function bufferedCalls(dump: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ (\w+)\(/gm)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  return out;
}

/** An edit for tamperedCopy: `from` replaced by `to`, where it occurs once. */
function replaceOnce(from: number[], to: number[]): (frames: Buffer) => boolean {
  return (frames) => {
    const hit = frames.indexOf(Buffer.from(from));
    if (hit < 0) return false;
    assert.equal(frames.indexOf(Buffer.from(from), hit + 1), -1, 'the bytes to change occur once');
    frames.set(to, hit);
    return true;
  };
}

/** The signal events of signo: 30 or more, none placed at an instruction inside the buffer's code. */
function checkSignals(dump: string, signo: string): void {
  const events = [...dump.matchAll(new RegExp(`^\\d+: tid \\d+ signal ${signo} (.*) @0x([0-9a-f]+)`, 'gm'))];
  assert.ok(events.length >= 30, `${signo} events: ${events.length}`);
  for (const e of events.filter((x) => /at instruction/.test(x[1]!))) {
    const rip = BigInt('0x' + e[2]!);
    assert.ok(rip < BUFFER_CODE_START || rip >= BUFFER_CODE_END, `a signal placed inside the buffer's code: ${e[0]}`);
  }
}

describe('calls the syscall buffer runs again at replay', () => {
  const loops = [
    ['timer', 'SIGALRM', 'timer: SIGALRM lands as a buffered sigprocmask unblocks it, in a loop; recorded and replayed'],
    ['tkill', 'SIGUSR1', 'tkill: SIGUSR1 from another thread lands as a buffered sigprocmask unblocks it; recorded and replayed'],
  ] as const;
  for (const [name, signal, title] of loops) {
    test(title, async () => {
      const { rec, dump, buffered } = await recordCase([name]);
      assert.match(rec.stdout.toString(), new RegExp(`^${name} handled >=30 unblocked-in-handler 0$`, 'm'), explain(rec));
      checkSignals(dump, signal);
      if (buffered) assert.ok((bufferedCalls(dump).get('rt_sigprocmask') ?? 0) >= 60, 'the loop\'s sigprocmask calls were buffered');
      assertReplayMatches(rec, await replay(rec.traceDir));
    });
  }

  test('actions, madvise, brk and bad arguments: buffered, run again at replay, the results as recorded', async () => {
    for (const c of ['actions', 'madvise', 'heap', 'bad']) {
      const { rec, dump } = await recordCase([c], ['--syscall-buffer']);
      const calls = bufferedCalls(dump);
      if (c === 'actions') assert.ok((calls.get('rt_sigaction') ?? 0) >= 22, `rt_sigaction buffered: ${calls.get('rt_sigaction')}`);
      if (c === 'madvise') {
        assert.equal(calls.get('madvise'), 5, dump.slice(0, 4000));
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ madvise\(0x[0-9a-f]+, 0x1000, 0x3039, .*\) = -22$/m, 'the bad advice');
      }
      if (c === 'heap') {
        assert.match(rec.stdout.toString(), /^heap grown 12288 shrunk 8192 big 73728 below 73728 sbrk 73728 kept 5$/m, explain(rec));
        assert.ok((calls.get('brk') ?? 0) >= 5, `brk buffered: ${calls.get('brk')}\n${dump.slice(0, 4000)}`);
      }
      if (c === 'bad') {
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ rt_sigprocmask\(0x63, .*\) = -22$/m, 'a bad how');
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ rt_sigprocmask\(0x0, 0x[0-9a-f]+, 0x10, 0x8, .*\) = -14$/m, 'a bad old set');
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ rt_sigaction\(0x9, .*\) = -22$/m, 'SIGKILL');
      }
      assertReplayMatches(rec, await replay(rec.traceDir));
    }
  });

  test('a record of an old mask changed in the trace: replay diverges at that buffered call', async () => {
    const { rec, dump } = await recordCase(['oldmask'], ['--syscall-buffer']);
    assertReplayMatches(rec, await replay(rec.traceDir));
    // The second call's old mask: SIGUSR1, SIGUSR2 and SIGWINCH (bits 9, 11, 27), after its length (8).
    const len8 = [8, 0, 0, 0, 0, 0, 0, 0];
    const mask = (bits: number): number[] => [bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24, 0, 0, 0, 0];
    const call = [...dump.matchAll(/^ {2}\[buffered (\d+)\] tid \d+ rt_sigprocmask\(0x0, .* \(8 bytes out\)$/gm)].at(-1);
    assert.ok(call, dump.slice(0, 4000));
    const tampered = tamperedCopy(space, rec.traceDir, replaceOnce([...len8, ...mask(0x08000a00)], [...len8, ...mask(0x00000a00)]));
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'a divergence at an executed buffered call');
    assert.match(rep.stderr.toString(), new RegExp(`diverged at event \\d+: recorded task \\d+ made ${call[1]} of the \\d+ buffered calls of event \\d+ ` +
      `\\(buffered call ${call[1]} is next\\), then rt_sigprocmask\\(0x0, .*\\) wrote other bytes than recorded \\(returned 0\\)`), explain(rep));
  });

  test('a record of a sigprocmask result changed in the trace: replay diverges at that buffered call', async () => {
    const { rec, dump } = await recordCase(['oldmask'], ['--syscall-buffer']);
    // The first call, rt_sigprocmask(SIG_BLOCK, set, NULL): a 72-byte record (no output), its result 0 made 1.
    const call = [...dump.matchAll(/^ {2}\[buffered (\d+)\] tid \d+ rt_sigprocmask\(0x0, 0x[0-9a-f]+, 0x0, 0x8, .*\) = 0x0$/gm)];
    assert.equal(call.length, 1, dump.slice(0, 4000));
    const tampered = tamperedCopy(space, rec.traceDir, (frames) => {
      const head = Buffer.from([72, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      let at = -1;
      let hit = -1;
      while ((at = frames.indexOf(head, at + 1)) >= 0) if (frames.readBigUInt64LE(at + 24) === 0n) hit = at; // no old set
      if (hit < 0) return false;
      frames.writeBigInt64LE(1n, hit + 56);
      return true;
    });
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'a divergence at an executed buffered call');
    assert.match(rep.stderr.toString(), new RegExp(`made ${call[0]![1]} of the \\d+ buffered calls of event \\d+ \\(buffered call ${call[0]![1]} is next\\), ` +
      'then rt_sigprocmask\\(0x0, .*\\) returned 0 where the recording has 1'), explain(rep));
  });

  test('a record of a brk result changed in the trace: replay diverges at that buffered call', async () => {
    const { rec, dump } = await recordCase(['heap'], ['--syscall-buffer']);
    // The shrinking call, brk(start + 2 pages): its 72-byte record (no output), its result made a page higher.
    const shrink = [...dump.matchAll(/^ {2}\[buffered (\d+)\] tid \d+ brk\((0x[0-9a-f]+), .*\) = (0x[0-9a-f]+)$/gm)][2];
    assert.ok(shrink && shrink[2] === shrink[3], dump.slice(0, 4000));
    const to = BigInt(shrink[2]!);
    const tampered = tamperedCopy(space, rec.traceDir, (frames) => {
      const head = Buffer.from([72, 0, 0, 0, 12, 0, 0, 0]);
      for (let at = frames.indexOf(head); at >= 0; at = frames.indexOf(head, at + 1)) {
        if (frames.readBigUInt64LE(at + 8) !== to || frames.readBigUInt64LE(at + 56) !== to) continue;
        frames.writeBigUInt64LE(to + 4096n, at + 56);
        return true;
      }
      return false;
    });
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'a divergence at a buffered brk');
    assert.match(rep.stderr.toString(), new RegExp(`made ${shrink[1]} of the \\d+ buffered calls of event \\d+ \\(buffered call ${shrink[1]} is next\\), ` +
      `then brk\\(${shrink[2]}, .*\\) returned ${to} where the recording has ${to + 4096n}`), explain(rep));
  });
});
