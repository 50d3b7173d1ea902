// Signals and the ways a program ends: caught SIGSEGV with siglongjmp, raise, alarm+pause, an interval
// timer interrupting a blocking read (with and without SA_RESTART), death by SIGSEGV and by abort(),
// and exit statuses. Record must exit with the program's status (128+N for signal N) and replay -a
// must print the same and exit the same.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, assertStatus, labels } from '../helpers/checks.js';
import {
  bytesEqual,
  compileProgram,
  explain,
  record,
  replay,
  rewindBin,
  runNative,
  shellStatus,
  sleep,
  start,
  TempSpace,
  type RecordResult,
  type RunResult,
} from '../helpers/harness.js';

const space = new TempSpace('signals');
after(() => space.cleanup());

describe('signal.c', () => {
  let exe = '';
  let native: RunResult[] = [];
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('signal');
    native = [await runNative(exe), await runNative(exe)];
    rec = await record(exe, [], { space });
  });

  it('prints different things in two native runs (pids, waited times)', () => {
    for (const r of native) assert.equal(r.status, 0, explain(r));
    assertDiffer(native[0]!, native[1]!, 'signal');
  });

  it('records: every handler ran as natively', () => {
    assertRecordedOk(rec, 0);
    const out = rec.stdout.toString();
    assert.deepEqual(labels(rec.stdout), labels(native[0]!.stdout), `line labels differ from a native run\n${explain(rec)}\n${explain(native[0]!)}`);
    for (const line of [
      'SIGSEGV handler: si_signo 11 si_code 1 si_addr (nil)\n',
      'back from SIGSEGV via siglongjmp\n',
      'SIGSEGV handler: si_signo 11 si_code 1 si_addr 0x5000\n',
      'back from second SIGSEGV\n',
      'from-self yes\n',
      'SIGALRM handler: si_signo 14 si_code 128\n',
      'about-one-second yes\n',
      'read no-restart: result -1 errno EINTR',
      'read again: result 1 byte z\n',
      'read SA_RESTART: result 1 byte z',
    ]) {
      assert.ok(out.includes(line), `recording lacks "${line.trim()}"\n${explain(rec)}`);
    }
    assert.match(out, /SIGUSR1 handler: si_signo 10 si_code -6 /, explain(rec));
  });

  it('replay -a reproduces stdout, stderr and status byte for byte', async () => {
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

/** Starts cmd, waits for "asyncsig pid N", waits a little more, sends SIGUSR1 to N; returns the result. */
async function runAndSignal(cmd: string, args: string[]): Promise<RunResult> {
  const s = start(cmd, args);
  let pid = 0;
  for (let waited = 0; waited < 20_000 && pid === 0; waited += 20) {
    const m = /^asyncsig pid (\d+)\n/.exec(s.stdoutSoFar().toString());
    if (m) pid = Number(m[1]);
    else await sleep(20);
  }
  if (pid !== 0) {
    await sleep(200);
    process.kill(pid, 'SIGUSR1');
  }
  return s.done;
}

describe('asyncsig.c: timer and external signals landing in user-space computation', () => {
  let exe = '';
  let rec: RecordResult;
  let traceDir = '';
  before(async () => {
    exe = compileProgram('asyncsig');
    traceDir = path.join(space.mkdir('asyncsig-'), 'trace');
    rec = { ...(await runAndSignal(rewindBin, ['record', '-o', traceDir, '--', exe])), traceDir };
  });

  it('natively: where SIGPROF lands differs between two runs', async () => {
    const a = await runNative(exe, ['no-usr1']);
    const b = await runNative(exe, ['no-usr1']);
    assert.equal(a.status, 0, explain(a));
    assert.ok(a.stdout.toString().includes('SIGPROF 4 at iteration '), explain(a));
    assertDiffer(a, b, 'asyncsig');
  });

  it('natively: SIGUSR1 from another process is seen', async () => {
    const r = await runAndSignal(exe, []);
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout.toString(), /\nSIGUSR1 at iteration \d+ from-other-process yes\n/, explain(r));
  });

  it('records: both kinds of signal reach the program', () => {
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /\nSIGUSR1 at iteration \d+ from-other-process yes\n/, explain(rec));
    assert.ok(rec.stdout.toString().includes('SIGPROF 4 at iteration '), explain(rec));
  });

  it('replay -a delivers them at the same points: output byte for byte, same status', async () => {
    assertReplayMatches(rec, await replay(traceDir));
  });
});

describe('crash.c (dies by SIGSEGV)', () => {
  let exe = '';
  let rec: RecordResult;
  before(async () => {
    exe = compileProgram('crash');
    rec = await record(exe, [], { space });
  });

  it('natively dies by SIGSEGV after printing, and two runs differ', async () => {
    const a = await runNative(exe);
    const b = await runNative(exe);
    assert.equal(a.signal, 'SIGSEGV', explain(a));
    assert.match(a.stdout.toString(), /^about to crash at \d+\.\d{9}\n$/, explain(a));
    assertDiffer(a, b, 'crash');
  });

  it('record prints the same lines and exits 139', () => {
    assertStatus(rec, 139, 'record');
    assert.match(rec.stdout.toString(), /^about to crash at \d+\.\d{9}\n$/, explain(rec));
    assert.ok(rec.stderr.toString().includes('crash.c: a line on stderr before the crash\n'), explain(rec));
    assert.equal(rec.leftovers, false, explain(rec));
  });

  it('replay -a prints the same and exits 139', async () => {
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.equal(shellStatus(rep), 139, explain(rep));
  });
});

describe('abort.c (dies by SIGABRT)', () => {
  let exe = '';
  let rec: RecordResult;
  before(async () => {
    exe = compileProgram('abort');
    rec = await record(exe, [], { space });
  });

  it('natively dies by SIGABRT after printing, and two runs differ', async () => {
    const a = await runNative(exe);
    const b = await runNative(exe);
    assert.equal(a.signal, 'SIGABRT', explain(a));
    assertDiffer(a, b, 'abort');
  });

  it('record prints the same lines and exits 134', () => {
    assertStatus(rec, 134, 'record');
    assert.match(rec.stdout.toString(), /^about to abort, monotonic \d+\.\d{9}\n$/, explain(rec));
    assert.ok(rec.stderr.toString().includes('abort.c: calling abort()\n'), explain(rec));
  });

  it('replay -a prints the same and exits 134', async () => {
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.equal(shellStatus(rep), 134, explain(rep));
  });
});

// exitcode.c is deterministic by nature: no "native runs differ" claim here.
describe('exitcode.c (deterministic)', () => {
  for (const code of [0, 1, 3, 42, 255]) {
    it(`exit status ${code}: record and replay -a both exit ${code} with the same output`, async () => {
      const exe = compileProgram('exitcode');
      const native = await runNative(exe, [String(code)]);
      assert.equal(native.status, code, explain(native));
      const rec = await record(exe, [String(code)], { space });
      assertRecordedOk(rec, code);
      assert.ok(bytesEqual(rec.stdout, native.stdout), `record stdout differs from native\n${explain(rec)}\n${explain(native)}`);
      assert.ok(rec.stderr.toString().includes(`exitcode.c: status ${code}\n`), explain(rec));
      assertReplayMatches(rec, await replay(rec.traceDir));
    });
  }
});
