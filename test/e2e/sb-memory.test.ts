// The syscall buffer's memory calls (trace format 13): mmap of anonymous private memory that is not
// executable, munmap and mprotect outside the ranges the recorder guards (guarded-memory.ts). Recorded
// in the program and run for real at replay (an mmap at its recorded address); those on code, files
// and shared memory stay traced; a fork child's copy of the table works as its parent's; a changed
// record is a divergence naming the call; and under a debugger's software watchpoints the tracer runs
// them itself (PROC_DELEGATE_MEMORY), so a watched page unmapped and mapped again is still watched.
import * as assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Watch } from '../../src/replay/debug/marks.js';
import { Timeline } from '../../src/replay/debug/timeline.js';
import { TraceReader } from '../../src/trace/trace-reader.js';
import { assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';
import { pieSymbol, tamperedCopy } from '../helpers/trace-edit.js';

const space = new TempSpace('sb-memory');
after(() => space.cleanup());

async function recordCase(mode: string): Promise<{ rec: RecordResult; dump: string }> {
  const exe = compileProgram('sb-memory');
  const rec = await record(exe, [mode], { space, extraArgs: ['--syscall-buffer'] });
  assertRecordedOk(rec, 0);
  const native = await runNative(exe, [mode]);
  assert.equal(native.status, 0, explain(native));
  assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
  const d = await rewind(['dump', rec.traceDir]);
  assert.equal(d.status, 0, explain(d));
  return { rec, dump: d.stdout.toString() };
}

/** The dump's lines of `call` with first argument `addr`: [buffered ones, traced ones]. */
function callsAt(dump: string, call: string, addr: string): [number, number] {
  const buffered = dump.match(new RegExp(`^ {2}\\[buffered \\d+\\] tid \\d+ ${call}\\(${addr},`, 'gm'))?.length ?? 0;
  const traced = dump.match(new RegExp(`^\\d+: tid \\d+ ${call}\\(${addr},`, 'gm'))?.length ?? 0;
  return [buffered, traced];
}

function count(dump: string, re: RegExp): number {
  return dump.match(re)?.length ?? 0;
}

describe('memory calls in the syscall buffer', () => {
  test('anonymous memory reserved, committed, reprotected and unmapped: buffered, replayed at the recorded addresses', async () => {
    const { rec, dump } = await recordCase('anon');
    assert.match(rec.stdout.toString(), /^anon sum \d+$/m, explain(rec));
    const buffered = (call: string) => count(dump, new RegExp(`^ {2}\\[buffered \\d+\\] tid \\d+ ${call}\\(`, 'gm'));
    assert.ok(buffered('mmap') >= 400, `mmap buffered: ${buffered('mmap')}`);
    assert.ok(buffered('mprotect') >= 1200, `mprotect buffered: ${buffered('mprotect')}`);
    assert.ok(buffered('munmap') >= 800, `munmap buffered: ${buffered('munmap')}`);
    // A failure is a record like any other: replay returns it without making the call.
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ mprotect\(0x200000000000, 0x1000, 0x1, .*\) = -12$/m, 'an mprotect of nothing');
    // None of the loop's calls is traced (a hint is taken as one: 0x100000000000 and up).
    assert.equal(count(dump, /^\d+: tid \d+ (mmap|munmap|mprotect)\(0x1[0-9a-f]{11},/gm), 0, 'no traced call of the hinted reservations');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('code, files and shared memory stay traced; MAP_FIXED over anonymous memory leaves it to the buffer', async () => {
    const { rec, dump } = await recordCase('guarded');
    const m = /^file (0x[0-9a-f]+) code (0x[0-9a-f]+) shared (0x[0-9a-f]+) fixed (0x[0-9a-f]+)$/m.exec(rec.stderr.toString());
    assert.ok(m, explain(rec));
    const [, file, code, shared, fixed] = m;
    // The file's mapping: its mprotect and munmap are the tracer's (it follows the file).
    assert.deepEqual(callsAt(dump, 'mprotect', file!), [0, 1], 'the file mapping\'s mprotect');
    assert.deepEqual(callsAt(dump, 'munmap', file!), [0, 1], 'the file mapping\'s munmap');
    // Made executable: traced (the patcher looks at it), and guarded from then on, until unmapped.
    assert.deepEqual(callsAt(dump, 'mprotect', code!), [0, 2], 'mprotect to executable, and back');
    assert.deepEqual(callsAt(dump, 'munmap', code!), [0, 1], 'the code\'s munmap');
    assert.deepEqual(callsAt(dump, 'mprotect', shared!), [0, 1], 'the shared mapping\'s mprotect');
    assert.deepEqual(callsAt(dump, 'munmap', shared!), [0, 1], 'the shared mapping\'s munmap');
    // MAP_FIXED is traced (it could replace anything); the anonymous memory it made is not guarded.
    assert.deepEqual(callsAt(dump, 'mmap', fixed!), [0, 1], 'the MAP_FIXED mmap');
    assert.deepEqual(callsAt(dump, 'munmap', fixed!), [1, 0], 'the munmap of anonymous memory');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('a fork child buffers its own memory calls', async () => {
    const { rec, dump } = await recordCase('fork');
    assert.match(rec.stdout.toString(), /^child sum \d+\nparent sum \d+\n/m, explain(rec));
    const tids = new Set([...dump.matchAll(/^ {2}\[buffered \d+\] tid (\d+) munmap\(/gm)].map((x) => x[1]));
    assert.equal(tids.size, 2, 'both processes buffered munmaps');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('a buffered mmap whose recorded address is taken at replay: a divergence naming the call', async () => {
    const { rec, dump } = await recordCase('anon');
    // The first `mmap(0, 3 pages, rw, private|anonymous)`: its record's result made the program's own
    // text address, where MAP_FIXED_NOREPLACE fails (EEXIST) instead of replacing anything.
    const first = /^ {2}\[buffered (\d+)\] tid \d+ mmap\(0x0, 0x3000, 0x3, 0x22, 0xffffffff, 0x0\) = (0x[0-9a-f]+)$/m.exec(dump);
    assert.ok(first, dump.slice(0, 4000));
    const text = 0x555555554000n;
    let done = false;
    const tampered = tamperedCopy(space, rec.traceDir, (frames) => {
      if (done) return false;
      const head = Buffer.from([72, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0]);
      for (let at = frames.indexOf(head); at >= 0; at = frames.indexOf(head, at + 1)) {
        if (frames.readBigUInt64LE(at + 56) !== BigInt(first[2]!)) continue;
        frames.writeBigUInt64LE(text, at + 56);
        done = true;
        return true;
      }
      return false;
    });
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'a divergence at a buffered mmap');
    assert.match(rep.stderr.toString(), new RegExp(`made ${first[1]} of the \\d+ buffered calls of event \\d+ \\(buffered call ${first[1]} is next\\), ` +
      `then mmap\\(0x0, 0x3000, 0x3, 0x22, .*\\) returned -17 where the recording has ${text}`), explain(rep));
  });

  test('a software watchpoint on a page unmapped and mapped again in the buffer stops at every write, both ways', async () => {
    const exe = compileProgram('sb-memory');
    const rec = await record(exe, ['remap'], { space, extraArgs: ['--syscall-buffer'] });
    assertRecordedOk(rec, 0);
    const d = await rewind(['dump', rec.traceDir]);
    assert.equal(d.status, 0, explain(d));
    assert.ok(count(d.stdout.toString(), /^ {2}\[buffered \d+\] tid \d+ munmap\(/gm) >= 4, 'the munmaps were buffered');
    const tl = new Timeline(TraceReader.open(rec.traceDir), { softwareWatch: true });
    try {
      const st = await tl.forward({ breakpoints: [pieSymbol(exe, 'ready')], watches: [] }, null);
      assert.equal(st.kind, 'breakpoint');
      const task = tl.task(st.recTid);
      const word = task.readU64(pieSymbol(exe, 'where'));
      const watches: Watch[] = [{ addr: word, len: 8, kind: 'write' }];
      const seen: bigint[] = [];
      for (;;) {
        const s = await tl.forward({ breakpoints: [], watches }, null);
        if (s.kind !== 'watch') break;
        seen.push(tl.task(s.recTid).readU64(word));
      }
      assert.deepEqual(seen, [100n, 200n, 300n, 400n], 'each pass\'s write, on the page mapped again');
      // Backwards: the same writes, each stopped before it, on a page just mapped (zeros).
      const back: bigint[] = [];
      for (let i = 0; i < 4; i++) {
        const s = await tl.reverseContinue({ breakpoints: [], watches });
        assert.equal(s.kind, 'watch', `reverse-continue ${i + 1} stops at a write`);
        if (s.kind !== 'watch') break;
        back.push(tl.task(s.recTid).readU64(word));
      }
      assert.deepEqual(back, [0n, 0n, 0n, 0n]);
    } finally {
      tl.close();
    }
  });
});
