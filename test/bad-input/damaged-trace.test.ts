// Damaged traces: an events file cut short or with flipped bytes, and a recording whose recorder was
// killed with SIGKILL. Only files the trace owns are damaged (test/helpers/trace-guard.ts refuses a
// file with a hard link outside the trace: files/ may link to system libraries). Replay must print what it can (a prefix of the recorded output), then say in
// one line that the trace ended early or is corrupt, and exit 125 — promptly, without hanging.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertOneLineError, assertRecordedOk, isPrefix } from '../helpers/checks.js';
import {
  compileProgram,
  explain,
  record,
  replay,
  rewindBin,
  sleep,
  start,
  TempSpace,
  u8,
  type RecordResult,
} from '../helpers/harness.js';
import { rewriteOwned, truncateOwned } from '../helpers/trace-guard.js';

const space = new TempSpace('damaged');
after(() => space.cleanup());

/** A replay of a damaged trace must end well before the harness's timeout. */
const PROMPT_MS = 30_000;

describe('damaged events file', () => {
  let rec: RecordResult;

  before(async () => {
    // ~4 MiB of incompressible getrandom data plus 4000 writes: several chunks.
    rec = await record(compileProgram('chatty'), ['4000'], { space, timeoutMs: 120_000 });
  });

  function copyOfTrace(): string {
    // Damage only a trace that was fine: a failed recording would make these tests pass for nothing.
    assertRecordedOk(rec, 0);
    const dst = path.join(space.mkdir('copy-'), 'trace');
    fs.cpSync(rec.traceDir, dst, { recursive: true });
    return dst;
  }

  it('(the trace used below records fine and is big enough to hold several chunks)', () => {
    assertRecordedOk(rec, 0);
    const size = fs.statSync(path.join(rec.traceDir, 'events')).size;
    assert.ok(size > 2 * 1024 * 1024, `events file is only ${size} bytes`);
  });

  it('cut in half: replay prints a prefix of the output, then one line saying it ended early, exit 125', async () => {
    const t = copyOfTrace();
    const events = path.join(t, 'events');
    truncateOwned(t, events, Math.floor(fs.statSync(events).size / 2));
    const rep = await replay(t);
    assert.equal(rep.timedOut, false, explain(rep));
    assert.ok(rep.durationMs < PROMPT_MS, `replay took ${rep.durationMs} ms`);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a truncated trace');
    assert.match(rep.stderr.toString(), /end|truncat|incomplete|short/i, `the message should say the trace ended early\n${explain(rep)}`);
    assert.ok(isPrefix(rep.stdout, rec.stdout), `replay output is not a prefix of the recording's\n${explain(rep, 500)}`);
    assert.ok(rep.stdout.length > 0, `nothing replayed from the first half of the trace\n${explain(rep)}`);
    assert.ok(rep.stdout.length < rec.stdout.length, `replay printed everything from half a trace\n${explain(rep, 500)}`);
  });

  it('cut just after the header: nothing printed, one line, exit 125', async () => {
    const t = copyOfTrace();
    truncateOwned(t, path.join(t, 'events'), 20);
    const rep = await replay(t);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a trace cut after its header');
    assert.equal(rep.stdout.length, 0, explain(rep));
  });

  it('bytes flipped in the middle: a prefix of the output, one line, exit 125', async () => {
    const t = copyOfTrace();
    const events = path.join(t, 'events');
    const data = fs.readFileSync(events);
    const mid = Math.floor(data.length / 2);
    for (let i = mid; i < mid + 16; i++) data[i] = data[i]! ^ 0xff;
    rewriteOwned(t, events, u8(data));
    const rep = await replay(t);
    assert.equal(rep.timedOut, false, explain(rep));
    assert.ok(rep.durationMs < PROMPT_MS, `replay took ${rep.durationMs} ms`);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a corrupted trace');
    assert.ok(isPrefix(rep.stdout, rec.stdout), `replay output is not a prefix of the recording's\n${explain(rep, 500)}`);
    assert.ok(rep.stdout.length < rec.stdout.length, `replay printed everything despite the corruption\n${explain(rep, 500)}`);
  });

  it('dump of a truncated trace prints what it can and fails with one line', async () => {
    const t = copyOfTrace();
    const events = path.join(t, 'events');
    truncateOwned(t, events, Math.floor(fs.statSync(events).size / 2));
    const r = await start(rewindBin, ['dump', t]).done;
    assert.equal(r.timedOut, false, explain(r));
    assert.notEqual(r.status, 0, explain(r, 300));
    assertOneLineError(r, 'dump of a truncated trace');
  });
});

describe('recorder killed with SIGKILL midway', () => {
  it('the tracee dies too; replay -a prints a prefix of the lines, then says the trace ended early, exit 125', async () => {
    const slow = compileProgram('slow');
    const traceDir = path.join(space.mkdir('killed-'), 'trace');
    const s = start(rewindBin, ['record', '-o', traceDir, '--', slow, '30', '100']);
    // Wait for the program's first line (it prints its pid), then about a second more.
    let tracee = 0;
    for (let waited = 0; waited < 20_000 && tracee === 0; waited += 50) {
      const m = /^slow pid (\d+)\n/.exec(s.stdoutSoFar().toString());
      if (m) tracee = Number(m[1]);
      else await sleep(50);
    }
    if (tracee === 0) {
      process.kill(-s.pid, 'SIGKILL');
      const r = await s.done;
      assert.fail(`the recorded program never printed its pid\n${explain(r)}`);
    }
    await sleep(1000);

    // SIGKILL every process of the recorder's group except the tracee: the recorder (and a wrapper
    // or helper if it has any). The tracee must then die without anyone signalling it directly.
    const group = fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return Number(fields[2]) === s.pid; // field 5: process group
        } catch {
          return false;
        }
      });
    assert.ok(group.includes(s.pid), `rewind (pid ${s.pid}) is not running any more`);
    for (const pid of group) if (pid !== tracee) process.kill(pid, 'SIGKILL');
    let traceeGone = false;
    for (let waited = 0; waited < 5_000; waited += 50) {
      const state = readState(tracee);
      if (state === null || state === 'Z' || state === 'X') {
        traceeGone = true;
        break;
      }
      await sleep(50);
    }
    if (!traceeGone) process.kill(tracee, 'SIGKILL'); // clean up before failing
    const rec = await s.done;
    assert.ok(traceeGone, `the tracee (pid ${tracee}) kept running after the recorder was killed`);
    const recorded = rec.stdout;
    assert.ok(recorded.toString().split('\n').length > 3, `too few lines printed before the kill\n${explain(rec)}`);
    assert.ok(!recorded.toString().includes('EXIT-SUCCESS'), `the program finished before it was killed\n${explain(rec)}`);

    // files.index is appended as copies are made: it is valid and lists every copy the recorder made.
    const index = fs.readFileSync(path.join(traceDir, 'files.index'), 'utf8').split('\n').filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { copy: string }).copy);
    assert.deepEqual(index.sort(), fs.readdirSync(path.join(traceDir, 'files')).sort());

    const rep = await replay(traceDir);
    assert.equal(rep.timedOut, false, explain(rep));
    assert.ok(rep.durationMs < PROMPT_MS, `replay took ${rep.durationMs} ms`);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a trace whose recorder was killed');
    assert.match(rep.stderr.toString(), /end|truncat|incomplete|unfinished|killed|short/i, `the message should say the trace ended early\n${explain(rep)}`);
    assert.ok(isPrefix(rep.stdout, recorded), `replay output is not a prefix of what the program printed\n${explain(rep)}\n${explain(rec)}`);
    // The writer flushes at least every ~200 ms of activity, so the first lines must be in the trace.
    assert.ok(rep.stdout.toString().startsWith(`slow pid ${tracee}\nline 0 `), `replay printed nothing of the ~1 s recorded\n${explain(rep)}`);
  });
});

/** The state letter of /proc/PID/stat, or null if the process is gone. */
function readState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}
