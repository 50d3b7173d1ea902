// The syscall buffer (`rewind record --syscall-buffer`): calls that cannot block run inside the
// program without a ptrace stop and are recorded in a per-thread buffer; replay gives the records
// back to the program, which takes them without a stop. Each case of syscallbuf.c is recorded with the
// buffer, compared with a native run, replayed, and its trace checked for what the buffer did: output
// read back at once, a timer signal landing while the buffer's code runs, more records than one
// buffer holds, exec and exit with records in the buffer, a fork child's copy, vfork children (a
// buffer of their own for calls that name no descriptor, given back at execve and exit), threads (a buffer each, reused once a thread ends; full, exec'ing, signalled,
// forking), a pipe dup2'd over a buffered file, calls through glibc's syscall(3), a divergence
// inside a buffered run, and gdb's view of a patched wrapper.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay } from '../helpers/gdb-session.js';
import { bytesEqual, compileProgram, explain, record, replay, rewind, runNative, TempSpace, type RecordResult } from '../helpers/harness.js';
import { TRACE_FORMAT_VERSION } from '../../src/trace/meta.js';

const space = new TempSpace('syscallbuf');
after(() => space.cleanup());

const BUFFER_CODE_START = 0x7fffc0000000n;
const BUFFER_CODE_END = 0x7fffc0030000n;

function dataFile(): string {
  const file = space.path('data.txt');
  if (!fs.existsSync(file)) fs.writeFileSync(file, 'A first line of data\n' + 'more lines follow\n'.repeat(300));
  return file;
}

async function recordCase(args: string[]): Promise<{ rec: RecordResult; dump: string }> {
  const rec = await record(compileProgram('syscallbuf'), args, { space, extraArgs: ['--syscall-buffer'] });
  assertRecordedOk(rec, 0);
  const d = await rewind(['dump', rec.traceDir]);
  assert.equal(d.status, 0, explain(d));
  return { rec, dump: d.stdout.toString() };
}

/** The tids with buffered calls, and the number of buffered calls of each. */
function bufferedByTid(dump: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of dump.matchAll(/^ {2}\[buffered \d+\] tid (\d+) /gm)) out.set(Number(m[1]), (out.get(Number(m[1])) ?? 0) + 1);
  return out;
}

async function sameAsNative(rec: RecordResult, args: string[]): Promise<void> {
  const native = await runNative(compileProgram('syscallbuf'), args);
  assert.equal(native.status, 0, explain(native));
  assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
}

describe('syscallbuf.c with the syscall buffer', () => {
  test('basic: outputs read back at once are the buffered ones; dump marks buffered calls; replay matches', async () => {
    const args = ['basic', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    assert.match(dump, /^\d+: tid \d+ buffered \d+ calls? \(\d+ bytes\)$/m, dump.slice(0, 3000));
    // glibc's fstat is newfstatat(fd, "", buf, AT_EMPTY_PATH)
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ newfstatat\(0x3, .*\) = 0x0 \(144 bytes out\)$/m, dump.slice(0, 6000));
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ read\(0x3, .*\) = 0x10 \(16 bytes out\)$/m, dump.slice(0, 6000));
    assert.match(dump, / patched \d+ sites: syscall@/, 'the libc wrappers were patched');
    const meta = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as { version: number; syscallBuffer?: boolean };
    assert.equal(meta.syscallBuffer, true);
    assert.equal(meta.version, TRACE_FORMAT_VERSION);
    const json = await rewind(['dump', '--json', rec.traceDir]);
    const batch = json.stdout.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; calls?: { nr: number }[] })
      .find((e) => e.kind === 'buffered');
    assert.ok(batch?.calls && batch.calls.length > 0, 'dump --json decodes the buffered calls');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('signals: timer signals that arrive while the buffer runs are delivered at its traced call or outside its code, and replay', async () => {
    const { rec, dump } = await recordCase(['signals']);
    assert.match(rec.stdout.toString(), /^alarms >=30 /m, explain(rec));
    const alarms = [...dump.matchAll(/^\d+: tid \d+ signal SIGALRM (.*) @0x([0-9a-f]+)/gm)];
    assert.ok(alarms.length >= 30, `SIGALRM events: ${alarms.length}`);
    // A signal placed at an instruction (not a syscall) is never inside the buffer's code: replay runs
    // other instructions there. At its traced syscall it is exact, as at any syscall.
    for (const a of alarms.filter((x) => /at instruction/.test(x[1]!))) {
      const rip = BigInt('0x' + a[2]!);
      assert.ok(rip < BUFFER_CODE_START || rip >= BUFFER_CODE_END, `a signal placed inside the buffer's code: ${a[0]}`);
    }
    assert.ok((bufferedByTid(dump).values().next().value ?? 0) > 100, 'the loop\'s calls were buffered');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('full: more records than one buffer holds are taken in several batches; replay matches', async () => {
    const args = ['full', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    const batches = [...dump.matchAll(/^\d+: tid \d+ buffered (\d+) calls? \((\d+) bytes\)$/gm)];
    const calls = batches.reduce((n, b) => n + Number(b[1]), 0);
    assert.ok(calls >= 20400, `buffered calls: ${calls}`);
    assert.ok(batches.some((b) => Number(b[2]) > 900_000), 'a batch taken when the buffer was full');
    assert.ok(batches.length >= 4, `batches: ${batches.length}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('exec: the calls still in the buffer at execve are taken before the exec; the new image has its own', async () => {
    const { rec, dump } = await recordCase(['exec']);
    assert.match(rec.stdout.toString(), /^before exec ino \d+\nafter exec ino \d+$/m, explain(rec));
    const lines = dump.split('\n');
    const second = lines.findIndex((l, i) => i > 0 && / exec .*syscallbuf/.test(l) && lines.slice(0, i).some((x) => / exec .*syscallbuf/.test(x)));
    assert.ok(second > 0, 'the second exec');
    const before = lines.slice(0, second).reverse().find((l) => /^\d+: /.test(l) && !/ execve\(/.test(l) && !/ enters /.test(l));
    assert.match(lines.slice(second - 8, second).join('\n'), /newfstatat\(0xffffff9c, .*\) = 0x0 \(144 bytes out\)/, `before the exec: ${before}`);
    assert.ok(lines.slice(second).some((l) => /\[buffered \d+\]/.test(l)), 'buffered calls after the exec');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('fork: the child buffers in its own copy (empty at the fork); parent and child replay', async () => {
    const { rec, dump } = await recordCase(['fork']);
    await sameAsNative(rec, ['fork']);
    const byTid = bufferedByTid(dump);
    assert.equal(byTid.size, 2, `tids with buffered calls: ${[...byTid.keys()].join(', ')}`);
    const child = Number(/creates tid (\d+)/.exec(dump)?.[1]);
    assert.ok((byTid.get(child) ?? 0) >= 100, `the child's buffered calls: ${byTid.get(child)}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('vfork: a child sharing its parent\'s memory buffers only calls naming no descriptor, and gives its buffer back', async () => {
    const { rec, dump } = await recordCase(['vfork']);
    await sameAsNative(rec, ['vfork']);
    assert.match(rec.stdout.toString(), /^150 vfork children, statuses 444, parent's SIGUSR1 still ignored 1$/m, explain(rec));
    const children = [...dump.matchAll(/^\d+: tid \d+ (?:vfork|clone) creates tid (\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(children.length, 151, dump.slice(0, 3000));
    const lines = dump.split('\n');
    const of = (tid: number) => lines.filter((l) => l.includes(`tid ${tid} `));
    const first = of(children[0]!);
    const traced = (name: string) => first.findIndex((l) => new RegExp(`^\\d+: tid \\d+ ${name}\\(`).test(l));
    // Before the failed execve: getpid and the handler resets in its buffer, the stat (a path) traced.
    assert.ok(first.some((l) => /\[buffered \d+\] tid \d+ getpid\(/.test(l)), `the child's getpid is buffered:\n${first.join('\n')}`);
    assert.ok(first.filter((l) => /\[buffered \d+\] tid \d+ rt_sigaction\(/.test(l)).length >= 58, 'the child\'s handler resets are buffered');
    assert.ok(first.some((l) => /\[buffered \d+\] tid \d+ rt_sigprocmask\(/.test(l)), 'the child\'s mask is set in its buffer');
    assert.equal(first.filter((l) => /^\d+: tid \d+ rt_sigaction\(/.test(l)).length, 0, 'no handler reset traced');
    const stat = traced('newfstatat');
    const failed = first.findIndex((l) => /^\d+: tid \d+ execve\(.*= -2 /.test(l));
    assert.ok(stat >= 0 && failed > stat, `the child's stat traced, then the failed execve:\n${first.join('\n')}`);
    // After it, no buffer: its getpid is traced.
    assert.ok(traced('getpid') > failed, `the getpid after the failed execve is traced:\n${first.join('\n')}`);
    // Each later child had a buffer (the slot each gave back at its exit taken by the next): the last one's resets are buffered too.
    const last = of(children[150]!);
    assert.ok(last.some((l) => /\[buffered \d+\] tid \d+ rt_sigaction\(/.test(l)), `the last child's resets are buffered:\n${last.join('\n')}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('dup2: a pipe put over a buffered file\'s fd is read through the tracer; the file again buffered', async () => {
    const args = ['dup2', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    assert.match(rec.stdout.toString(), /^pipe read 13 \[from the pipe\]$/m, explain(rec));
    assert.match(dump, /^\d+: tid \d+ read\(0x3, .*\) = 0xd /m, 'the pipe read is a traced event');
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ pread64\(0x3, .*\) = 0x8 \(8 bytes out\)$/m, 'the file read after dup2 back is buffered');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('thread: a second thread buffers in a buffer of its own and exits; replay matches', async () => {
    const { rec, dump } = await recordCase(['thread']);
    await sameAsNative(rec, ['thread']);
    const byTid = bufferedByTid(dump);
    assert.equal(byTid.size, 2, `tids with buffered calls: ${[...byTid.keys()].join(', ')}`);
    const child = Number(/clone creates tid (\d+)/.exec(dump)?.[1]);
    assert.ok((byTid.get(child) ?? 0) >= 50, `the thread's buffered calls: ${byTid.get(child)}`);
    // Its records are written before its exit: none of its batches comes after its exit call.
    const lines = dump.split('\n');
    const exit = lines.findIndex((l) => new RegExp(`^\\d+: tid ${child} exit\\(`).test(l));
    assert.ok(exit > 0, `the thread's exit call:\n${dump.slice(0, 4000)}`);
    assert.ok(!lines.slice(exit).some((l) => l.includes(`tid ${child} buffered `)), 'a batch of the thread after its exit');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('threads: four threads buffer at once, three more reuse their buffers; 20 rounds of record and replay', async () => {
    for (let round = 0; round < 20; round++) {
      const { rec, dump } = await recordCase(['threads']);
      if (round === 0) await sameAsNative(rec, ['threads']);
      const byTid = bufferedByTid(dump);
      assert.equal(byTid.size, 8, `round ${round}: tids with buffered calls: ${[...byTid.entries()].join(' ')}`);
      for (const [tid, n] of byTid) assert.ok(n >= 100, `round ${round}: tid ${tid} buffered only ${n} calls`);
      assertReplayMatches(rec, await replay(rec.traceDir));
    }
  });

  test('threadfull: a thread whose buffer fills up has its records taken in several batches', async () => {
    const args = ['threadfull', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    const child = Number(/clone creates tid (\d+)/.exec(dump)?.[1]);
    const batches = [...dump.matchAll(new RegExp(`^\\d+: tid ${child} buffered (\\d+) calls? \\((\\d+) bytes\\)$`, 'gm'))];
    // 20400 calls, less the few made when the buffer was full (those go to the tracer, which empties it)
    assert.ok(batches.reduce((n, b) => n + Number(b[1]), 0) >= 20300, 'the thread\'s buffered calls');
    assert.ok(batches.some((b) => Number(b[2]) > 900_000), 'a batch taken when the thread\'s buffer was full');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('threadexec: a second thread execs with calls in its buffer: they are written before its exec', async () => {
    const { rec, dump } = await recordCase(['threadexec']);
    assert.match(rec.stdout.toString(), /^after exec ino \d+$/m, explain(rec));
    const child = Number(/clone creates tid (\d+)/.exec(dump)?.[1]);
    const lines = dump.split('\n');
    const exec = lines.findIndex((l) => new RegExp(`^\\d+: tid ${child} exec `).test(l));
    assert.ok(exec > 0, dump.slice(0, 4000));
    const before = lines.slice(0, exec).reverse().find((l) => /^\d+: tid \d+ /.test(l) && l.includes(`tid ${child} `));
    assert.match(before ?? '', / buffered \d+ calls? /, `before the thread's execve: ${before}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('threadsig: timer signals land while a second thread runs buffered calls; replay matches', async () => {
    const { rec, dump } = await recordCase(['threadsig']);
    assert.match(rec.stdout.toString(), /^alarms >=30 /m, explain(rec));
    const child = Number(/clone creates tid (\d+)/.exec(dump)?.[1]);
    const alarms = [...dump.matchAll(new RegExp(`^\\d+: tid ${child} signal SIGALRM (.*) @0x([0-9a-f]+)`, 'gm'))];
    assert.ok(alarms.length >= 30, `SIGALRM events in the thread: ${alarms.length}`);
    for (const a of alarms.filter((x) => /at instruction/.test(x[1]!))) {
      const rip = BigInt('0x' + a[2]!);
      assert.ok(rip < BUFFER_CODE_START || rip >= BUFFER_CODE_END, `a signal placed inside the buffer's code: ${a[0]}`);
    }
    assert.ok((bufferedByTid(dump).get(child) ?? 0) >= 30, 'the thread\'s loop was buffered');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('forkthread: a second thread forks; the child buffers in its copy and gives a thread of its own a buffer', async () => {
    const { rec, dump } = await recordCase(['forkthread']);
    await sameAsNative(rec, ['forkthread']);
    const created = [...dump.matchAll(/(clone|fork) creates tid (\d+)/g)].map((m) => Number(m[2]));
    assert.equal(created.length, 3, `tasks created: ${created.join(', ')}`);
    const byTid = bufferedByTid(dump);
    for (const tid of created) assert.ok((byTid.get(tid) ?? 0) >= 10, `tid ${tid} buffered ${byTid.get(tid) ?? 0} calls`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('calls: openat, close, fcntl, ioctl, flistxattr, fadvise64, write, pwrite64, writev buffered; results read back at once', async () => {
    const dir = space.mkdir('calls-');
    const args = ['calls', dataFile(), dir];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    const buffered = new Set([...dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ (\w+)\(/gm)].map((m) => m[1]));
    for (const name of ['openat', 'close', 'fcntl', 'ioctl', 'flistxattr', 'fadvise64', 'write', 'pwrite64', 'writev']) {
      assert.ok(buffered.has(name), `${name} was not buffered: ${[...buffered].join(' ')}`);
    }
    // An openat that creates a file is buffered; one under /dev is traced; a failed one is buffered (ENOENT).
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ openat\(0xffffff9c, 0x[0-9a-f]+, 0xc2, /m, 'openat with O_CREAT|O_EXCL');
    assert.match(dump, /^\d+: tid \d+ openat\(0xffffff9c, 0x[0-9a-f]+, 0x1, /m, 'openat of /dev/null is traced');
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ openat\(0xffffff9c, .*\) = -2$/m, 'a failed openat is buffered');
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ ioctl\(0x3, 0x5401, .*\) = -25$/m, 'TCGETS on a file');
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('fsops: creating open, copy_file_range, FICLONE and the metadata changes buffered; what stat shows then matches', async () => {
    const dir = space.mkdir('fsops-');
    const args = ['fsops', dataFile(), dir];
    const { rec, dump } = await recordCase(args);
    const native = await runNative(compileProgram('syscallbuf'), ['fsops', dataFile(), space.mkdir('fsops-native-')]);
    assert.equal(native.stdout.toString(), rec.stdout.toString(), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    const buffered = new Set([...dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ (\w+)\(/gm)].map((m) => m[1]));
    for (const name of ['openat', 'copy_file_range', 'ioctl', 'fchmod', 'fchown', 'utimensat', 'fsetxattr', 'mkdirat', 'symlinkat', 'fchmodat', 'fchownat', 'unlinkat']) {
      assert.ok(buffered.has(name), `${name} was not buffered: ${[...buffered].join(' ')}`);
    }
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ openat\(0xffffff9c, 0x[0-9a-f]+, 0xc1, /m, 'the creating open (O_WRONLY|O_CREAT|O_EXCL)');
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ copy_file_range\(.*\) = 0x64 \(8 bytes out\)$/m, 'the input offset it moved');
    // Replay touches nothing outside: the directory it made and removed when recorded is not made again.
    fs.rmSync(dir, { recursive: true });
    assertReplayMatches(rec, await replay(rec.traceDir));
    assert.ok(!fs.existsSync(dir), 'replay made the directory');
  });

  test('random: getrandom is buffered, and replay gives the program the recorded bytes', async () => {
    const { rec, dump } = await recordCase(['random']);
    assert.match(rec.stdout.toString(), /^getrandom 32 [0-9a-f]{64}$/m, explain(rec));
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ getrandom\(.*\) = 0x20 \(32 bytes out\)$/m);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('anynr: calls through glibc\'s syscall(3) are buffered; fork and an unknown number are made by the site\'s stub, traced', async () => {
    const args = ['anynr', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    assert.match(rec.stdout.toString(), /^anynr read 16 'A first line of ' *$/m, explain(rec));
    // glibc's own fstat is newfstatat: a buffered statx came through syscall(3).
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ statx\(0x3, .*\) = 0x0 \(256 bytes out\)$/m, dump.slice(0, 8000));
    const stub = (name: string): bigint => {
      const m = new RegExp(`^\\d+: tid \\d+ ${name}\\(.*@0x([0-9a-f]+)$`, 'm').exec(dump);
      assert.ok(m, `no traced ${name} in\n${dump.slice(0, 8000)}`);
      return BigInt('0x' + m[1]);
    };
    // Made by the stub's own syscall instruction (in the stub area, after the buffer's code), not the buffer's.
    for (const name of ['fork', 'syscall_1000']) {
      const ip = stub(name);
      assert.ok(ip >= BUFFER_CODE_START + 0x10000n && ip < BUFFER_CODE_END, `${name} at 0x${ip.toString(16)}`);
    }
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('openmmap: a buffered open\'s fd mapped by a traced mmap, then a buffered close and the same fd again', async () => {
    const args = ['openmmap', dataFile()];
    const { rec, dump } = await recordCase(args);
    await sameAsNative(rec, args);
    assert.match(dump, /^\d+: tid \d+ mmap\(0x0, 0x1000, 0x1, 0x2, 0x3, 0x0\) = 0x[0-9a-f]+ \(executed, file .*data\.txt\)/m, 'the traced mmap knows the file');
    assert.match(dump, /^ {2}\[buffered \d+\] tid \d+ close\(0x3, .*\) = 0x0$/m);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('echo: writes to rewind\'s stdout as a file are buffered with their bytes and re-emitted in order at replay', async () => {
    const exe = compileProgram('syscallbuf');
    const out = space.path('echo-record.txt');
    const fd = fs.openSync(out, 'w');
    let rec;
    try {
      rec = await record(exe, ['echo'], { space, extraArgs: ['--syscall-buffer'], stdoutFd: fd });
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(rec.status, 0, explain(rec));
    const recorded = fs.readFileSync(out, 'utf8');
    assert.match(recorded, /EXIT-SUCCESS\n$/);
    assert.equal(recorded.split('\n').filter((l) => l.startsWith('line ')).length, 200, recorded.slice(0, 500));
    const dump = (await rewind(['dump', rec.traceDir])).stdout.toString();
    const echoed = [...dump.matchAll(/^ {2}\[buffered \d+\] tid \d+ write\(0x[13], .* \(\d+ bytes to stdout\)$/gm)];
    assert.ok(echoed.length >= 200, `buffered writes to stdout: ${echoed.length}\n${dump.slice(0, 3000)}`);
    assert.match(dump, /^\d+: tid \d+ write\(0x2, /m, 'the write to stderr (a pipe here) is traced');
    const replayed = space.path('echo-replay.txt');
    const rfd = fs.openSync(replayed, 'w');
    let rep;
    try {
      rep = await replay(rec.traceDir, { stdoutFd: rfd });
    } finally {
      fs.closeSync(rfd);
    }
    assert.equal(rep.status, 0, explain(rep));
    assert.equal(fs.readFileSync(replayed, 'utf8'), recorded);
    assert.equal(rep.stderr.toString(), rec.stderr.toString());
  });

  test('a divergence inside a buffered run names the buffered event and the call', async () => {
    const data = space.path('branch.txt');
    fs.writeFileSync(data, 'A'.repeat(4096));
    const { rec } = await recordCase(['branch', data]);
    assertReplayMatches(rec, await replay(rec.traceDir));
    // The trace's copy of the mapped file changed: replay maps the copy, so the program stats the other path.
    const tampered = path.join(space.mkdir('tampered-'), 'trace');
    fs.cpSync(rec.traceDir, tampered, { recursive: true });
    const copy = fs.readdirSync(path.join(tampered, 'files')).find((n) => n.endsWith('-branch.txt'));
    assert.ok(copy, 'the copy of the mapped file');
    fs.rmSync(path.join(tampered, 'files', copy));
    fs.writeFileSync(path.join(tampered, 'files', copy), 'B'.repeat(4096));
    fs.rmSync(path.join(tampered, 'files.index'), { force: true });
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'a divergence in a buffered run');
    assert.match(rep.stderr.toString(),
      /diverged at event \d+: recorded task \d+ made 5 of the 10 buffered calls of event \d+ \(buffered call 5 is next\), then called newfstatat where the recording has newfstatat\(/, explain(rep));
  });

  test('a program that sets its own GS base is refused with one line (the buffer uses GS)', async () => {
    const exe = compileProgram('syscallbuf');
    assert.equal((await runNative(exe, ['setgs'])).status, 0);
    const rec = await record(exe, ['setgs'], { space, extraArgs: ['--syscall-buffer'] });
    assert.equal(rec.status, 125, explain(rec));
    assertOneLineError(rec, 'ARCH_SET_GS with the syscall buffer');
    assert.match(rec.stderr.toString(), /unsupported arch_prctl\(ARCH_SET_GS\) with the syscall buffer \(record with --no-syscall-buffer\)/);
    const plain = await record(exe, ['setgs'], { space, extraArgs: ['--no-syscall-buffer'] });
    assertRecordedOk(plain, 0);
  });

  test('gdb sees a patched libc wrapper\'s original instructions', async () => {
    const { rec } = await recordCase(['basic', dataFile()]);
    const { gdb } = await debugReplay(compileProgram('syscallbuf'), rec.traceDir,
      ['break main', 'continue', 'break getpid', 'continue', 'x/2i $pc', 'x/7xb $pc', 'finish'], {});
    assert.match(gdb, /mov\s+\$0x27,%eax/, gdb);
    assert.match(gdb, /syscall/, gdb);
    assert.match(gdb, /0xb8\s+0x27\s+0x00\s+0x00\s+0x00\s+0x0f\s+0x05/, gdb);
    assert.doesNotMatch(gdb, /jmp\s+0x7fffc0/, gdb);
  });
});
