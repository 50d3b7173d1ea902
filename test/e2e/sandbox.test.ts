// Sandboxes and containers: a program's own seccomp filter (seccompfilter.c) and user and mount
// namespaces (userns.c), recorded as they run natively and replayed exactly — without mounting anything
// or writing a file at replay. What rewind cannot replay is refused with one line.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay } from '../helpers/gdb-session.js';
import {
  bytesEqual, compileProgram, explain, record, replay, rewind, rewindBin, runNative, shellStatus, TempSpace,
} from '../helpers/harness.js';

const space = new TempSpace('sandbox');
after(() => space.cleanup());

/** `rewind dump` lines of the trace. */
async function dump(traceDir: string): Promise<string[]> {
  const r = await rewind(['dump', traceDir]);
  assert.equal(r.status, 0, explain(r));
  return r.stdout.toString().split('\n');
}

/** The events of recorded syscall `name` in a dump. */
function calls(lines: string[], name: string): string[] {
  return lines.filter((l) => new RegExp(`^\\d+: tid \\d+ ${name}\\(`).test(l));
}

describe("a program's own seccomp filter (seccompfilter.c)", () => {
  // '' = seccomp(2); tsync = with SECCOMP_FILTER_FLAG_TSYNC while another thread waits in read(2);
  // prctl = prctl(PR_SET_SECCOMP); nonnp = without no_new_privs (allowed: CAP_SYS_ADMIN as root);
  // fork = the calls again in a child forked after the install (it inherits the filter).
  for (const mode of ['', 'tsync', 'prctl', 'nonnp', 'fork']) {
    test(`ERRNO, TRAP (SIGSYS), its own TRACE and USER_NOTIF answers as natively, replayed (${mode || 'seccomp'})`, async () => {
      const exe = compileProgram('seccompfilter');
      const args = mode ? [mode] : [];
      const native = await runNative(exe, args);
      assert.equal(native.status, 0, explain(native));
      const rec = await record(exe, args, { space });
      assertRecordedOk(rec, 0);
      assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
      const out = rec.stdout.toString();
      const who = mode === 'tsync' ? ['main', 'thread'] : mode === 'fork' ? ['main', 'child'] : ['main'];
      for (const w of who) {
        assert.match(out, new RegExp(`${w}: getppid = -1 errno EPERM\n`), explain(rec));
        assert.match(out, new RegExp(`${w}: getpriority = -1 errno ENOSYS\n`), explain(rec)); // its own RET_TRACE, no tracer of its own
        assert.match(out, new RegExp(`${w}: sysinfo = -1 errno ENOSYS\n`), explain(rec)); // RET_USER_NOTIF without a listener
      }
      assert.equal(out.match(/SIGSYS 31: si_code 1 si_syscall 63 si_arch 0xc000003e si_errno 42\n/g)?.length, who.length, explain(rec));
      // The program sees its own state, not rewind's filter and no_new_privs.
      assert.match(out, /PR_GET_SECCOMP before: 0\nPR_GET_NO_NEW_PRIVS before: 0\n/, explain(rec));
      assert.match(out, new RegExp(`PR_GET_SECCOMP after: 2\nPR_GET_NO_NEW_PRIVS after: ${mode === 'nonnp' ? 0 : 1}\n`), explain(rec));
      assert.match(out, /action 0x12340000 available: -1 EOPNOTSUPP\n/, explain(rec));

      const lines = await dump(rec.traceDir);
      const install = lines.findIndex((l) => / (seccomp\(0x1,|prctl\(0x16, 0x2,)/.test(l));
      assert.ok(install >= 0 && lines[install]!.includes('(executed)'), `the filter is installed at replay too\n${lines.join('\n')}`);
      assert.deepEqual(calls(lines.slice(install), 'getppid'), [], 'a call the filter answers with ERRNO never reaches rewind');
      assert.equal(calls(lines.slice(install), 'uname').length, 0, 'a call the filter traps never reaches rewind');
      assert.equal(lines.filter((l) => / signal SIGSYS fault /.test(l)).length, who.length, lines.join('\n'));
      assertReplayMatches(rec, await replay(rec.traceDir));
    });
  }

  test('gdb: stepi over a syscall the filter answers itself (ERRNO) ends right after it, and reverse-stepi comes back', async () => {
    const exe = compileProgram('seccompfilter');
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    const run = await debugReplay(exe, rec.traceDir, [
      'break getppid_insn', 'continue', 'p $rax', 'stepi', 'p $pc == (char *)&getppid_insn + 2', 'p $rax',
      'reverse-stepi', 'p $pc == (char *)&getppid_insn', 'p $rax', 'stepi', 'p $rax', 'continue',
    ]);
    const values = [...run.gdb.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]);
    // At the instruction: getppid (110). After one step: right after it with -EPERM (-1), not at a later stop.
    assert.deepEqual(values, ['110', '1', '-1', '1', '110', '-1'], run.gdb);
    assert.match(run.gdb, /exited normally|\[Inferior 1 \(process \d+\) (exited|detached)/, run.gdb);
  });

  test('a sandbox launcher: the filter survives execve into /bin/sh and the tools it runs', async () => {
    const exe = compileProgram('seccompfilter');
    // sh's getppid gets EPERM ($PPID -1), nice's getpriority the ENOSYS of the filter's own RET_TRACE,
    // and uname dies of the SIGSYS of RET_TRAP (no handler after exec).
    const args = ['exec', '/bin/sh', '-c', 'echo ppid=$PPID; /usr/bin/nice; uname; echo "uname: $?"; echo EXIT-SUCCESS'];
    const native = await runNative(exe, args);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, args, { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout) && bytesEqual(rec.stderr, native.stderr),
      `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.match(rec.stdout.toString(), /ppid=-1\nuname: 159\nEXIT-SUCCESS\n$/, explain(rec));
    assert.match(rec.stderr.toString(), /nice: cannot get niceness: Function not implemented\n/, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('rewind itself under a filter and no_new_privs (a container\'s profile): the program sees them as natively', async () => {
    const exe = compileProgram('seccompfilter');
    const native = await runNative(exe, ['outer', exe]);
    assert.equal(native.status, 0, explain(native));
    const traceDir = `${space.mkdir('outer-')}/trace`;
    const rec = await runNative(exe, ['outer', rewindBin, 'record', '-o', traceDir, '--', exe]);
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.match(rec.stdout.toString(), /^PR_GET_SECCOMP before: 2\nPR_GET_NO_NEW_PRIVS before: 1\n/, explain(rec));
    assertReplayMatches(rec, await replay(traceDir));
  });

  test('without no_new_privs and CAP_SYS_ADMIN the filter is refused (EACCES), as natively, though rewind set no_new_privs', async () => {
    const exe = compileProgram('seccompfilter');
    const native = await runNative(exe, ['nocap']);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, ['nocap'], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.match(rec.stdout.toString(), /unknown flag first: -1 EINVAL\nbad sock_fprog first: -1 EFAULT\nempty filter first: -1 EINVAL\n/, explain(rec));
    assert.match(rec.stdout.toString(), /without no_new_privs or CAP_SYS_ADMIN: -1 EACCES\nPR_GET_SECCOMP: 0\n/, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('SECCOMP_RET_KILL_PROCESS kills the program with SIGSYS, recorded and replayed the same', async () => {
    const exe = compileProgram('seccompfilter');
    const native = await runNative(exe, ['kill']);
    assert.equal(shellStatus(native), 128 + 31, explain(native));
    const rec = await record(exe, ['kill'], { space });
    assert.equal(rec.status, 128 + 31, explain(rec));
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.match(rec.stdout.toString(), /calling getsid, which the filter kills\n$/, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  for (const [mode, re] of [['strict', /unsupported seccomp: strict mode/], ['listener', /unsupported seccomp: SECCOMP_FILTER_FLAG_NEW_LISTENER/]] as const) {
    test(`${mode === 'strict' ? 'strict mode' : 'a user-notification listener'} is refused with one line`, async () => {
      const rec = await record(compileProgram('seccompfilter'), [mode], { space });
      assert.equal(rec.status, 125, explain(rec));
      assertOneLineError(rec, `seccomp ${mode}`);
      assert.match(rec.stderr.toString(), re, explain(rec));
      assert.doesNotMatch(rec.stdout.toString(), /strict mode:|listener fd:/, explain(rec));
    });
  }

  test('a filter refusing the open replay needs to map a file: replay stops with one line, never runs on', async () => {
    const exe = compileProgram('seccompfilter');
    const rec = await record(exe, ['mmap'], { space });
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /open now: -1 errno EACCES\nmapped: 7f ELF\n/, explain(rec));
    const rep = await replay(rec.traceDir);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a mapping the filter keeps replay from opening');
    assert.match(rep.stderr.toString(), /injected openat .*seccomp filter of the program's own/, explain(rep));
    assert.doesNotMatch(rep.stdout.toString(), /mapped:/, explain(rep));
  });
});

describe('user and mount namespaces (userns.c)', () => {
  /** Whether a mount on dir is visible to this process (none may leak out of the program's namespace). */
  const mountedHere = (dir: string): boolean => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

  for (const mode of ['unshare', 'clone']) {
    test(`${mode}(CLONE_NEWUSER|CLONE_NEWNS), uid_map, a tmpfs mount, a file in it: as natively, replayed without mounting or writing`, async () => {
      const exe = compileProgram('userns');
      const dir = space.mkdir('mnt-');
      const args = mode === 'clone' ? [dir, 'clone'] : [dir];
      const native = await runNative(exe, args);
      assert.equal(native.status, 0, explain(native));
      const rec = await record(exe, args, { space });
      assertRecordedOk(rec, 0);
      assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
      assert.match(rec.stdout.toString(), /^inside: uid 4242 euid 4242 gid 4343\nread back: written inside the sandbox\nfile owner 4242:4343 mode 600 size 27\nentry: note.txt\nmounted: tmpfs on the dir\nunmounted; note.txt now gone\n/, explain(rec));
      assert.deepEqual(fs.readdirSync(dir), [], 'the file was written in the namespace\'s tmpfs only');
      assert.equal(mountedHere(dir), false, 'no mount outside the program\'s namespace');

      const lines = await dump(rec.traceDir);
      // CLONE_NEWUSER|CLONE_NEWNS (with SIGCHLD for clone), made at replay too.
      const made = calls(lines, mode).filter((l) => l.includes(mode === 'clone' ? '(0x10020011,' : '(0x10020000,'));
      assert.equal(made.length, 1, lines.join('\n'));
      assert.ok(made[0]!.includes('(executed)'), `the namespaces are made at replay too\n${made[0]}`);
      const mounts = [...calls(lines, 'mount'), ...calls(lines, 'umount2')];
      assert.equal(mounts.length, 3, lines.join('\n'));
      for (const m of mounts) assert.ok(!m.includes('(executed)'), `replay must not mount: ${m}`);

      const rep = await replay(rec.traceDir);
      assertReplayMatches(rec, rep);
      assert.deepEqual(fs.readdirSync(dir), [], 'replay wrote nothing');
      assert.equal(mountedHere(dir), false, 'replay left no mount');
    });
  }

  test('a real tool: unshare -Urm sh -c "mount -t tmpfs …; echo > file; cat file; run a copy there; id", replayed without mounting', async () => {
    const dir = space.mkdir('mnt-');
    // The copy of echo exists only in the namespace's tmpfs: the trace keeps its own copy to exec at replay.
    const script = `mount -t tmpfs sandbox ${dir} && echo written > ${dir}/f && cat ${dir}/f && cp /bin/echo ${dir}/e && ls ${dir} `
      + `&& ${dir}/e run from the tmpfs && id -u && cat /proc/self/uid_map && echo EXIT-SUCCESS`;
    const args = ['-Urm', '/bin/sh', '-c', script];
    const native = await runNative('/usr/bin/unshare', args);
    assert.equal(native.status, 0, explain(native));
    const rec = await record('/usr/bin/unshare', args, { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.match(rec.stdout.toString(), /^written\ne\nf\nrun from the tmpfs\n0\n +0 +\d+ +1\nEXIT-SUCCESS\n$/, explain(rec));
    assert.deepEqual(fs.readdirSync(dir), []);
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
    assert.deepEqual(fs.readdirSync(dir), [], 'replay wrote nothing');
    assert.equal(mountedHere(dir), false, 'replay left no mount');
  });

  test('unshare(CLONE_NEWPID) is refused with one line', async () => {
    const rec = await record(compileProgram('userns'), [space.mkdir('mnt-'), 'newpid'], { space });
    assert.equal(rec.status, 125, explain(rec));
    assertOneLineError(rec, 'unshare(CLONE_NEWPID)');
    assert.match(rec.stderr.toString(), /unsupported unshare: CLONE_NEWPID in unshare: only user and mount namespaces/, explain(rec));
    assert.doesNotMatch(rec.stdout.toString(), /unshare\(CLONE_NEWPID\) =/, explain(rec));
  });
});
