// Calls the syscall buffer runs since issue 12's list was finished (readv, preadv, recvmsg, sendmsg,
// the tty ioctls TCGETS, TIOCGWINSZ, TIOCGPGRP and FIONREAD, ppoll and epoll_pwait), and the ones
// it leaves to the tracer (too many iovecs, a bad iovec array, SCM_RIGHTS control data): each case
// recorded with the buffer, compared with a native run, the calls shown buffered or traced by dump,
// and replayed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, rewind, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('sb-more');
after(() => space.cleanup());

async function dumpOf(traceDir: string): Promise<string> {
  const d = await rewind(['dump', traceDir]);
  assert.equal(d.status, 0, explain(d));
  return d.stdout.toString();
}

/** A buffered call's line in the dump: `name(args…) = result`, args and result as the regex text given. */
const buffered = (call: string): RegExp => new RegExp(`^ {2}\\[buffered \\d+\\] tid \\d+ ${call}`, 'm');
/** A traced call's line. */
const traced = (call: string): RegExp => new RegExp(`^\\d+: tid \\d+ ${call}`, 'm');

const CASES: { name: string; dir: boolean; want: RegExp[]; wantCount?: [RegExp, number][] }[] = [
  {
    name: 'readv',
    dir: true,
    want: [
      buffered(String.raw`readv\(0x3, 0x[0-9a-f]+, 0x3, .*\) = 0x24 \(36 bytes out\)$`),
      buffered(String.raw`preadv\(0x3, 0x[0-9a-f]+, 0x2, 0x7, .*\) = 0x7 \(7 bytes out\)$`),
      buffered(String.raw`readv\(0x3, 0x[0-9a-f]+, 0x3, .*\) = 0x0$`),
      traced(String.raw`preadv\(0x3, 0x[0-9a-f]+, 0x11, `), // 17 iovecs: more than the buffer takes
      traced(String.raw`readv\(0x3, 0x10, 0x2, .*\) = -14 `), // the iovec array unreadable: the tracer's EFAULT
      buffered(String.raw`readv\(0x4, 0x[0-9a-f]+, 0x2, .*\) = 0xf \(15 bytes out\)$`), // a ready pipe
      buffered(String.raw`readv\(0x4, 0x[0-9a-f]+, 0x2, .*\) = 0x0$`), // at its end
    ],
  },
  {
    name: 'msg',
    dir: true,
    want: [
      buffered(String.raw`sendmsg\(0x3, 0x[0-9a-f]+, 0x0, .*\) = 0xc$`), // a nonblocking socket
      buffered(String.raw`recvmsg\(0x4, 0x[0-9a-f]+, 0x2, .*\) = 0xc \(\d+ bytes out\)$`), // MSG_PEEK
      buffered(String.raw`recvmsg\(0x4, 0x[0-9a-f]+, 0x0, .*\) = -11$`),
      buffered(String.raw`recvmsg\(0x3, 0x[0-9a-f]+, 0x60, .*\) = 0x22 \(\d+ bytes out\)$`), // MSG_TRUNC: 34 of a 7-byte buffer
    ],
    wantCount: [
      [new RegExp(buffered(String.raw`sendmsg\(0x4, 0x[0-9a-f]+, 0x40, .*\) = 0x(c|22)$`).source, 'gm'), 3], // MSG_DONTWAIT, to an address
      [new RegExp(buffered(String.raw`recvmsg\(0x3, 0x[0-9a-f]+, 0x40, .*\) = 0xc \(\d+ bytes out\)$`).source, 'gm'), 2], // with the source address
    ],
  },
  {
    name: 'rights',
    dir: true,
    want: [
      traced(String.raw`sendmsg\(0x4, 0x[0-9a-f]+, 0x40, .*\) = 0x1 `),
      traced(String.raw`recvmsg\(0x5, 0x[0-9a-f]+, 0x40, .*\) = 0x1 \(\d+ bytes out\)`),
    ],
  },
  {
    name: 'tty',
    dir: true,
    want: [
      buffered(String.raw`ioctl\(0x4, 0x5401, .*\) = 0x0 \(36 bytes out\)$`), // TCGETS of the pty
      buffered(String.raw`ioctl\(0x4, 0x5413, .*\) = 0x0 \(8 bytes out\)$`), // TIOCGWINSZ
      buffered(String.raw`ioctl\(0x4, 0x541b, .*\) = 0x0 \(4 bytes out\)$`), // FIONREAD
      buffered(String.raw`ioctl\(0x4, 0x540f, .*\) = -25$`), // TIOCGPGRP of a tty not the controlling one
      buffered(String.raw`ioctl\(0x5, 0x5401, .*\) = -25$`), // TCGETS of a file: ENOTTY
      buffered(String.raw`ioctl\(0x5, 0x541b, .*\) = 0x0 \(4 bytes out\)$`), // FIONREAD of a file
      buffered(String.raw`ioctl\(0x6, 0x541b, .*\) = 0x0 \(4 bytes out\)$`), // and of a pipe
      traced(String.raw`ioctl\(0x3, 0x5414, `), // TIOCSWINSZ: not a request the buffer takes
    ],
  },
  {
    name: 'poll',
    dir: false,
    want: [
      buffered(String.raw`ppoll\(0x[0-9a-f]+, 0x2, 0x0, 0x0, 0x8, .*\) = 0x1 \(16 bytes out\)$`),
      buffered(String.raw`ppoll\(0x[0-9a-f]+, 0x1, 0x[0-9a-f]+, 0x0, 0x8, .*\) = 0x0 \(8 bytes out\)$`), // zero timeout
      buffered(String.raw`ppoll\(0x[0-9a-f]+, 0x2, 0x0, 0x[0-9a-f]+, 0x8, .*\) = 0x1 \(16 bytes out\)$`), // a mask, ready
      buffered(String.raw`epoll_pwait\(0x7, 0x[0-9a-f]+, 0x4, 0xffffffff, 0x0, 0x8\) = 0x1 \(12 bytes out\)$`),
      buffered(String.raw`epoll_pwait\(0x7, 0x[0-9a-f]+, 0x4, 0xffffffff, 0x[0-9a-f]+, 0x8\) = 0x1 \(12 bytes out\)$`),
      buffered(String.raw`epoll_pwait\(0x8, 0x[0-9a-f]+, 0x4, 0x0, 0x0, 0x8\) = 0x0$`),
    ],
  },
  {
    // SIGUSR1 blocked and pending, let through by the call's mask: the buffer's try leaves the mask out
    // (under it the try would take the signal, which the recorder could then not deliver while the
    // program's mask blocks it: the traced call waited for ever); only ready fds are buffered.
    name: 'mask',
    dir: false,
    want: [
      traced(String.raw`ppoll\(0x[0-9a-f]+, 0x1, 0x0, 0x[0-9a-f]+, 0x8, .*\) = -514 `), // ERESTARTNOHAND: the handler ran
      traced(String.raw`ppoll\(0x[0-9a-f]+, 0x1, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x8, .*\) = -514 `),
      buffered(String.raw`ppoll\(0x[0-9a-f]+, 0x1, 0x0, 0x[0-9a-f]+, 0x8, .*\) = 0x1 \(8 bytes out\)$`),
      traced(String.raw`epoll_pwait\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x2, 0x0, 0x[0-9a-f]+, 0x8\) = 0x0`),
      traced(String.raw`epoll_pwait\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x2, 0xffffffff, 0x[0-9a-f]+, 0x8\) = -4 `),
    ],
  },
];

describe('readv, preadv, recvmsg, sendmsg, tty ioctls, ppoll, epoll_pwait in the syscall buffer', () => {
  for (const c of CASES) {
    test(`${c.name}: as a native run, buffered or traced as the rules say, replay matches`, async () => {
      const exe = compileProgram('sb-more');
      const args = (what: string): string[] => (c.dir ? [c.name, fs.realpathSync(space.mkdir(`${c.name}-${what}-`))] : [c.name]);
      const rec = await record(exe, args('record'), { space, extraArgs: ['--syscall-buffer'] });
      assertRecordedOk(rec, 0);
      assert.match(rec.stdout.toString(), /EXIT-SUCCESS\n$/);
      const native = await runNative(exe, args('native'));
      assert.equal(rec.stdout.toString(), native.stdout.toString(), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
      const dump = await dumpOf(rec.traceDir);
      for (const re of c.want) assert.match(dump, re);
      for (const [re, n] of c.wantCount ?? []) assert.equal([...dump.matchAll(re)].length, n, `${re.source}\n${dump}`);
      assertReplayMatches(rec, await replay(rec.traceDir));
    });
  }
});
