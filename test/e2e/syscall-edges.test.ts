// System-call fidelity: what Linux does at the edges, recorded and replayed exactly — unknown syscall
// numbers (ENOSYS), bad pointers given to execve (EFAULT), programs that signal their own process
// group, the data of write-like calls checked at replay, and effects replay once missed (locked pages,
// FUTEX_WAKE_OP, a blocking FIFO open, the TSC mode rewind set).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertOneLineError, assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import {
  bytesEqual, compileProgram, compileTo, explain, mixedContent, record, replay, rewindBin, runNative, sleep, start, TempSpace, type Started,
} from '../helpers/harness.js';

const space = new TempSpace('syscall-edges');
after(() => space.cleanup());

describe('unknown syscall numbers (badsyscall.c)', () => {
  test('each gives ENOSYS as natively, recorded and replayed', async () => {
    const exe = compileProgram('badsyscall');
    const native = await runNative(exe);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    for (const nr of ['0xffffffffffffffff', '0x3e8', '0x40000027', '0x400003e8']) {
      assert.match(rec.stdout.toString(), new RegExp(`syscall\\(${nr}\\) = -1 errno ENOSYS`), explain(rec));
    }
    const rep = await replay(rec.traceDir);
    assertReplayMatches(rec, rep);
  });
});

describe('mmap calls the kernel refuses (mmapfail.c)', () => {
  test('a directory, a pipe, a write-only file, an unaligned offset: each fails as natively, and again at replay', async () => {
    const exe = compileProgram('mmapfail');
    const file = space.path('mmapfail-data');
    fs.writeFileSync(file, 'Rewind\n');
    const native = await runNative(exe, [file]);
    assert.equal(native.status, 0, explain(native));
    for (const line of ['directory: errno 19 (No such device)', 'pipe: errno 19 (No such device)', 'write-only file, shared: errno 13 (Permission denied)',
      'unaligned offset: errno 22 (Invalid argument)', 'good mapping: first byte R']) {
      assert.ok(native.stdout.toString().includes(`${line}\n`), `${line}\n${explain(native)}`);
    }
    const rec = await record(exe, [file], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

describe('effects replay once missed (kernelwrites.c)', () => {
  test('madvise of a locked page, FUTEX_WAKE_OP\'s second word, a blocking open of a FIFO, PR_GET_TSC: as natively, replayed the same', async () => {
    const exe = compileProgram('kernelwrites');
    const dir = space.mkdir('fifo-');
    const native = await runNative(exe, [dir]);
    assert.equal(native.status, 0, explain(native));
    const out = native.stdout.toString();
    for (const line of ['madvise-locked -1 errno-einval yes byte x', 'madvise-unlocked 0 byte-zero yes', 'wake-op woken 0 b 8',
      'from-child yes child-status 0 line hello from', 'tsc-mode-enable yes']) {
      assert.ok(out.includes(line), `native run lacks "${line}"\n${explain(native)}`);
    }
    const rec = await record(exe, [dir], { space });
    assertRecordedOk(rec, 0);
    const noPid = (s: string): string => s.replace(/hello from \d+/, 'hello from N');
    assert.equal(noPid(rec.stdout.toString()), noPid(out), explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

describe('a program that signals its own process group', () => {
  test('kill(0, SIGTERM) kills the program only: recorded (status 143) and replayed the same', async () => {
    const exe = compileProgram('killgroup');
    const rec = await record(exe, [], { space });
    assert.equal(rec.status, 143, explain(rec));
    assert.equal(rec.stdout.toString(), 'about to kill my group with signal 15\n', explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test('kill(0, SIGABRT): status 134, replayed the same', async () => {
    const exe = compileProgram('killgroup');
    const rec = await record(exe, ['6'], { space });
    assert.equal(rec.status, 134, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });

  test("sh -c \"trap 'kill 0' EXIT; echo hi\": recorded and replayed", async () => {
    const rec = await record('/bin/sh', ['-c', "trap 'kill 0' EXIT; echo hi"], { space });
    assert.equal(rec.stdout.toString(), 'hi\n', explain(rec));
    assert.equal(rec.status, 143, explain(rec));
    assert.equal(rec.stderr.toString(), '', explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

/** Starts `rewind record` of cmd and waits until its stdout matches re; returns the run and the match. */
async function recordUntil(traceDir: string, cmd: string, args: string[], re: RegExp): Promise<{ s: Started; m: RegExpExecArray }> {
  const s = start(rewindBin, ['record', '-o', traceDir, '--', cmd, ...args]);
  for (let waited = 0; waited < 20_000; waited += 20) {
    const m = re.exec(s.stdoutSoFar().toString());
    if (m) return { s, m };
    await sleep(20);
  }
  process.kill(s.pid, 'SIGKILL');
  assert.fail(`the recorded program never printed ${re}\n${explain(await s.done)}`);
}

describe('signals sent to the recorder', () => {
  test('SIGTERM to rewind reaches the program (recorded as what it got); the trace is complete and replays', async () => {
    const traceDir = path.join(space.mkdir('term-'), 'trace');
    const { s } = await recordUntil(traceDir, compileProgram('slow'), ['100', '50'], /line 2 /);
    process.kill(s.pid, 'SIGTERM');
    const rec = await s.done;
    assert.equal(rec.status, 143, explain(rec));
    assert.equal(rec.leftovers, false, explain(rec));
    assert.doesNotMatch(rec.stdout.toString(), /EXIT-SUCCESS/, explain(rec));
    const rep = await replay(traceDir);
    assertReplayMatches(rec, rep);
  });

  test('SIGKILL of the recorder while the program computes without syscalls: the events so far are on disk', async () => {
    const traceDir = path.join(space.mkdir('spin-'), 'trace');
    const { s, m } = await recordUntil(traceDir, compileProgram('quietspin'), [], /^quietspin pid (\d+)\n/);
    await sleep(500); // no event is appended while it spins: only the writer's idle flush writes the line's event
    process.kill(s.pid, 'SIGKILL');
    const rec = await s.done;
    assert.equal(rec.signal, 'SIGKILL', explain(rec));
    const rep = await replay(traceDir);
    assert.equal(rep.status, 125, explain(rep));
    assert.equal(rep.stdout.toString(), `quietspin pid ${m[1]}\n`, explain(rep));
    assertOneLineError(rep, 'replay of a trace whose recorder was killed');
    assert.match(rep.stderr.toString(), /ends early/, explain(rep));
  });
});

describe('a recorder killed while its deflate thread holds chunks', () => {
  test('SIGKILL amid megabytes of output: the trace replays the output up to the last chunk written, then ends early', async () => {
    // 24 MiB of output, written as fast as cat writes, recorded with the deflate thread
    // (REWIND_DEFLATE_THREAD=1): the trace is past STORED_UP_TO within the first megabyte, so its
    // chunks go to the thread, a few in flight whenever one is made.
    const file = path.join(space.mkdir('flood-'), 'data');
    fs.writeFileSync(file, mixedContent(1024 * 1024, 3));
    const traceDir = path.join(space.mkdir('flood-trace-'), 'trace');
    const s = start(rewindBin, ['record', '-o', traceDir, '--', '/bin/sh', '-c', `i=0; while [ $i -lt 24 ]; do cat ${file}; i=$((i+1)); done; sleep 30`], {
      env: { ...process.env, REWIND_DEFLATE_THREAD: '1' },
    });
    for (let waited = 0; s.stdoutSoFar().length < 8 * 1024 * 1024; waited += 20) {
      if (waited > 60_000) {
        process.kill(s.pid, 'SIGKILL');
        assert.fail(`the recorded program never printed 8 MiB\n${explain(await s.done)}`);
      }
      await sleep(20);
    }
    process.kill(s.pid, 'SIGKILL');
    const rec = await s.done;
    assert.equal(rec.signal, 'SIGKILL', explain(rec));
    const rep = await replay(traceDir);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a trace whose recorder was killed');
    assert.match(rep.stderr.toString(), /ends early/, explain(rep));
    const out = rep.stdout;
    assert.ok(out.length >= 1024 * 1024, `replay printed only ${out.length} bytes`);
    assert.ok(bytesEqual(out, rec.stdout.subarray(0, out.length)), `replay printed ${out.length} bytes that are not the start of what the program printed`);
  });
});

describe('execve with bad pointers (badexec.c)', () => {
  test('the path, argv, envp or a string in argv unreadable: EFAULT for the program, recorded and replayed', async () => {
    const exe = compileProgram('badexec');
    const native = await runNative(exe);
    assert.equal(native.status, 0, explain(native));
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assert.equal((rec.stdout.toString().match(/: -1 EFAULT$/gm) ?? []).length, 4, explain(rec));
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});

describe('the data of write-like calls is checked at replay (mmapfile.c)', () => {
  test('a trace whose copy of a mapped file was changed: replay stops at the write of other bytes, exit 125', async () => {
    const exe = compileProgram('mmapfile');
    const dir = space.mkdir('data-');
    const data = path.join(dir, 'datafile.txt');
    fs.writeFileSync(data, 'the first line as recorded\nand more\n'.repeat(50));
    const rec = await record(exe, [data], { space });
    assertRecordedOk(rec, 0);
    assertReplayMatches(rec, await replay(rec.traceDir));

    // The same trace with the copy of the data file changed (same size): the program maps the copy at
    // replay, so it computes and writes other bytes with the very same registers.
    const tampered = path.join(space.mkdir('tampered-'), 'trace');
    fs.cpSync(rec.traceDir, tampered, { recursive: true });
    const copies = fs.readdirSync(path.join(tampered, 'files')).filter((n) => n.endsWith('-datafile.txt'));
    assert.equal(copies.length, 1, `copies of the data file: ${copies.join(', ')}`);
    const copy = path.join(tampered, 'files', copies[0]!);
    const bytes = fs.readFileSync(copy);
    bytes.write('THE FIRST LINE, CHANGED', 0, 'latin1');
    fs.rmSync(copy);
    fs.writeFileSync(copy, bytes);
    // Without files.index (as a trace from before hashes were kept), the copy's integrity is not
    // checked before use; the written data's hash must catch what it changes.
    fs.rmSync(path.join(tampered, 'files.index'), { force: true });
    const rep = await replay(tampered);
    assert.equal(rep.status, 125, explain(rep));
    assertOneLineError(rep, 'replay of a program that wrote other data');
    assert.match(rep.stderr.toString(), /diverged at event \d+: write in recorded task \d+ wrote other data than recorded/, explain(rep));
    assert.doesNotMatch(rep.stdout.toString(), /CHANGED/, explain(rep));
  });
});

describe('a death rewind causes is reported', () => {
  test('a system call through int 0x80: as natively (SIGSEGV without 32-bit emulation), or rewind says its filter killed it', async () => {
    const exe = compileProgram('int80');
    const native = await runNative(exe);
    const rec = await record(exe, [], { space });
    assert.equal(rec.stdout.toString().split('\n')[0], 'before int 0x80', explain(rec));
    if (native.status === null && native.signal === 'SIGSEGV') {
      // This kernel has no 32-bit emulation: the instruction faults before any filter sees it.
      assert.equal(rec.status, 139, explain(rec));
      assert.equal(rec.stderr.toString(), '', explain(rec));
    } else {
      assert.equal(rec.status, 159, explain(rec));
      assertOneLineError(rec, 'a program killed by the seccomp filter');
      assert.match(rec.stderr.toString(), /killed by rewind's seccomp filter.*int 0x80/, explain(rec));
    }
    assert.equal((await replay(rec.traceDir)).status, rec.status);
  });

  test('a system call rewind refuses: one line says recording stopped and the program was killed', async () => {
    const exe = path.join(space.mkdir('ptrace-'), 'traceme');
    compileTo('#include <sys/ptrace.h>\n#include <unistd.h>\nint main(void) { write(1, "before\\n", 7); ptrace(PTRACE_TRACEME, 0, 0, 0); return 0; }\n', exe, { text: true });
    const rec = await record(exe, [], { space });
    assert.equal(rec.stdout.toString(), 'before\n', explain(rec));
    assert.equal(rec.status, 125, explain(rec));
    assertOneLineError(rec, 'an unsupported syscall');
    assert.match(rec.stderr.toString(), /unsupported syscall ptrace.*the program was killed/, explain(rec));
  });
});

describe('mremap across adjacent mappings (mremapmerge.c)', () => {
  test('merged anonymous mappings grow; a private /dev/zero mapping next to anonymous memory is not merged (EFAULT): as natively, replayed the same', async () => {
    const exe = compileProgram('mremapmerge');
    const native = await runNative(exe);
    assert.equal(native.status, 0, explain(native));
    const out = native.stdout.toString();
    for (const line of ['anon+anon mremap ok moved no first a second b', 'devzero+anon mremap errno 14', 'grow-in-place yes']) {
      assert.ok(out.includes(`${line}\n`), `native run lacks "${line}"\n${explain(native)}`);
    }
    const rec = await record(exe, [], { space });
    assertRecordedOk(rec, 0);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record printed other than a native run\n${explain(rec)}\n${explain(native)}`);
    assertReplayMatches(rec, await replay(rec.traceDir));
  });
});
