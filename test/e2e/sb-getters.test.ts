// Calls the syscall buffer runs since the bench workloads showed them traced (getcwd, sysinfo,
// getrusage, statfs, fstatfs, prlimit64 reads, fsync, fdatasync, fcntl F_SETLK/F_OFD_SETLK, the
// path xattr setters and removers, unlink), and writev to rewind's stdout, echoed like write: each
// recorded with the buffer, compared with a native run, shown buffered by dump, and replayed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { compileProgram, explain, record, replay, rewind, runNative, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('sb-getters');
after(() => space.cleanup());

async function dumpOf(traceDir: string): Promise<string> {
  const d = await rewind(['dump', traceDir]);
  assert.equal(d.status, 0, explain(d));
  return d.stdout.toString();
}

function bufferedNames(dump: string): Set<string> {
  return new Set([...dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ (\w+)\(/gm)].map((m) => m[1]!));
}

describe('calls the bench workloads traced, now buffered', () => {
  for (const c of ['getters', 'files']) {
    test(`${c}: buffered, the results read back at once as a native run shows them; replay matches`, async () => {
      const exe = compileProgram('sb-getters');
      const dir = fs.realpathSync(space.mkdir(`${c}-`));
      const rec = await record(exe, [c, dir], { space, extraArgs: ['--syscall-buffer'] });
      assertRecordedOk(rec, 0);
      const native = await runNative(exe, [c, fs.realpathSync(space.mkdir(`${c}-native-`))]);
      assert.equal(native.stdout.toString(), rec.stdout.toString(), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
      const dump = await dumpOf(rec.traceDir);
      const names = bufferedNames(dump);
      const want = c === 'getters' ? ['getcwd', 'sysinfo', 'getrusage', 'statfs', 'fstatfs', 'prlimit64']
        : ['fsync', 'fdatasync', 'fcntl', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'unlink'];
      for (const name of want) assert.ok(names.has(name), `${name} was not buffered: ${[...names].join(' ')}`);
      if (c === 'files') {
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ fcntl\(0x3, 0x6, .*\) = 0x0$/m, 'F_SETLK');
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ fcntl\(0x3, 0x25, .*\) = 0x0$/m, 'F_OFD_SETLK');
        assert.match(dump, /^\d+: tid \d+ fcntl\(0x3, 0x5, /m, 'F_GETLK (an output the buffer does not keep) is traced');
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ unlink\(.*\) = -2$/m, 'a failed unlink');
      } else {
        assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ getcwd\(0x[0-9a-f]+, 0x2, .*\) = -34$/m, 'getcwd into too small a buffer');
      }
      // Replay touches nothing outside: the directory's file is not made again.
      fs.rmSync(dir, { recursive: true });
      assertReplayMatches(rec, await replay(rec.traceDir));
      assert.ok(!fs.existsSync(dir), 'replay made the directory');
    });
  }

  test('writev to rewind\'s stdout as a file: buffered with its bytes re-emitted at replay; a bad iovec fails as natively', async () => {
    const exe = compileProgram('sb-getters');
    const run = async (what: 'record' | 'replay' | 'native', traceDir?: string): Promise<{ out: string; status: number | null; stderr: string; traceDir?: string }> => {
      const file = space.path(`writev-${what}.txt`);
      const fd = fs.openSync(file, 'w');
      try {
        const r = what === 'record' ? await record(exe, ['writev'], { space, extraArgs: ['--syscall-buffer'], stdoutFd: fd })
          : what === 'replay' ? await replay(traceDir!, { stdoutFd: fd }) : await runNative(exe, ['writev'], { stdoutFd: fd });
        return { out: fs.readFileSync(file, 'utf8'), status: r.status, stderr: r.stderr.toString(), ...('traceDir' in r && { traceDir: r.traceDir as string }) };
      } finally {
        fs.closeSync(fd);
      }
    };
    const rec = await run('record');
    assert.equal(rec.status, 0, rec.stderr);
    assert.match(rec.out, /^short 6 bad -1 1 big 70000\nEXIT-SUCCESS\n$/m, rec.out.slice(-300));
    assert.equal(rec.out.split('\n').filter((l) => /^line \d+ of the writev case$/.test(l)).length, 100);
    assert.equal(rec.out, (await run('native')).out);
    const dump = await dumpOf(rec.traceDir!);
    const echoed = [...dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ writev\(0x1, .* \((\d+) bytes to stdout\)$/gm)];
    assert.equal(echoed.length, 101, `buffered writevs to stdout: ${echoed.length}\n${dump.slice(0, 3000)}`);
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ writev\(0x1, 0x10, 0x1, .*\) = -14$/m, 'a bad iovec array: EFAULT, as the kernel says');
    assert.match(dump, /^\d+: tid \d+ writev\(0x1, .*\) = 0x11170 /m, 'more than 64 KiB: traced');
    const rep = await run('replay', rec.traceDir);
    assert.equal(rep.status, 0, rep.stderr);
    assert.equal(rep.out, rec.out);
  });
});
