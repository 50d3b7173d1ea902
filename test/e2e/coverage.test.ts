// Coverage: small programs of our own (test/programs/cov-*.c), each exercising one area of the kernel
// interface (timers, signalfd, eventfd, timerfd, inotify, epoll, SCM_RIGHTS, pidfd, clone3, prctl,
// rlimits, random bytes, scheduling, madvise/msync, splice and friends, statx, xattrs, locks, POSIX
// timers, sigaltstack, personality/uname/sysinfo, mremap, unix sockets, sealed memfds, directories,
// pipes) and printing what it observed. Each is run natively, recorded and replayed: the recording
// prints the lines a native run prints (same labels, same lines where the program's output does not
// depend on time or identity), and `replay -a` prints exactly what the recording printed.
import assert from 'node:assert/strict';
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
}

const CASES: Case[] = [
  { name: 'cov-itimer', varies: true },
  { name: 'cov-signalfd' },
  { name: 'cov-eventfd' },
  { name: 'cov-timerfd' },
  { name: 'cov-inotify', dir: true },
  { name: 'cov-epoll' },
  { name: 'cov-scmrights', dir: true },
  { name: 'cov-pidfd' },
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
  { name: 'cov-posixtimer' },
  { name: 'cov-sigaltstack' },
  { name: 'cov-sysinfo', varies: true },
  { name: 'cov-mremap' },
  { name: 'cov-unixsock' },
  { name: 'cov-memfd' },
  { name: 'cov-dirs', dir: true },
  { name: 'cov-pipes' },
];

describe('coverage programs: native, recorded, replayed', () => {
  for (const c of CASES) {
    test(`${c.name}.c`, async () => {
      const exe = compileProgram(c.name);
      const args = (): string[] => (c.dir ? [space.mkdir(`${c.name}-`)] : []);
      const native = await runNative(exe, args());
      assert.equal(native.status, 0, explain(native));
      assert.ok(native.stdout.toString().endsWith('EXIT-SUCCESS\n'), explain(native));
      const rec = await record(exe, args(), { space });
      assertRecordedOk(rec, 0);
      if (c.varies) assert.deepEqual(labels(rec.stdout), labels(native.stdout), `record printed other lines than a native run\n${explain(rec)}\n${explain(native)}`);
      else assert.equal(rec.stdout.toString(), native.stdout.toString(), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
      assertReplayMatches(rec, await replay(rec.traceDir));
    });
  }
});
