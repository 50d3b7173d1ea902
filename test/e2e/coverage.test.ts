// Coverage: small programs of our own (test/programs/cov-*.c), each exercising one area of the kernel
// interface (timers, signalfd, eventfd, timerfd, inotify, epoll, SCM_RIGHTS, pidfd, clone3, prctl,
// rlimits, random bytes, scheduling, madvise/msync, splice and friends, statx, xattrs, locks, POSIX
// timers, sigaltstack, personality/uname/sysinfo, mremap, unix sockets, sealed memfds, directories,
// pipes, descriptors of stdout received from elsewhere) and printing what it observed. Each is run natively, recorded and replayed: the recording
// prints the lines a native run prints (same labels, same lines where the program's output does not
// depend on time or identity), and `replay -a` prints exactly what the recording printed. Programs whose
// course depends on timing are recorded and replayed 20 times.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches, labels } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('coverage');
after(() => space.cleanup());

interface Case {
  name: string;
  /** Takes a scratch directory as its argument. */
  dir?: boolean;
  /** Lines that differ between runs (times, pids, random bytes): only their labels are compared with a native run. */
  varies?: boolean;
  /** Timing-dependent (timers, a child racing its parent): recorded and replayed this many times. */
  rounds?: number;
}

const TIMED = 20;

const CASES: Case[] = [
  { name: 'cov-itimer', rounds: TIMED, varies: true },
  { name: 'cov-signalfd', rounds: TIMED },
  { name: 'cov-eventfd', rounds: TIMED },
  { name: 'cov-timerfd', rounds: TIMED },
  { name: 'cov-inotify', dir: true },
  { name: 'cov-epoll', rounds: TIMED },
  { name: 'cov-scmrights', dir: true },
  { name: 'cov-pidfd', rounds: TIMED },
  { name: 'cov-clone3' },
  { name: 'cov-prctl' },
  { name: 'cov-rlimits' },
  { name: 'cov-random', varies: true },
  { name: 'cov-sched' },
  { name: 'cov-madvise', dir: true },
  { name: 'cov-splice', dir: true },
  { name: 'cov-statx', dir: true },
  { name: 'cov-xattr', dir: true },
  { name: 'cov-locks', dir: true },
  { name: 'cov-posixtimer', rounds: TIMED },
  { name: 'cov-sigaltstack' },
  { name: 'cov-sysinfo', varies: true },
  { name: 'cov-mremap' },
  { name: 'cov-unixsock' },
  { name: 'cov-memfd' },
  { name: 'cov-dirs', dir: true },
  { name: 'cov-pipes' },
  { name: 'cov-passfd' },
];

describe('coverage programs: native, recorded, replayed', () => {
  for (const c of CASES) {
    test(`${c.name}.c`, async () => {
      const exe = compileProgram(c.name);
      const args = (): string[] => (c.dir ? [space.mkdir(`${c.name}-`)] : []);
      const native = await runNative(exe, args());
      assert.equal(native.status, 0, explain(native));
      assert.ok(native.stdout.toString().endsWith('EXIT-SUCCESS\n'), explain(native));
      for (let round = 1; round <= (c.rounds ?? 1); round++) {
        const rec = await record(exe, args(), { space });
        const where = `round ${round}: `;
        assertRecordedOk(rec, 0);
        if (c.varies) assert.deepEqual(labels(rec.stdout), labels(native.stdout), `${where}record printed other lines than a native run\n${explain(rec)}\n${explain(native)}`);
        else assert.equal(rec.stdout.toString(), native.stdout.toString(), `${where}record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
        assertReplayMatches(rec, await replay(rec.traceDir));
        fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
      }
    });
  }
});
