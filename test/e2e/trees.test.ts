// Process trees recorded and replayed: C programs that fork, exec, wait and signal between
// processes, and real tools that start other programs (a shell pipeline, make -j2 running the
// compiler, python3's subprocess, git). For each: `rewind record` exits with the program's status and
// passes its output through; `rewind replay -a` reproduces stdout, stderr and status byte for byte,
// and (for the tools that write files) leaves the file system alone.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, assertStatus, field, labels } from '../helpers/checks.js';
import {
  bytesEqual,
  compileProgram,
  explain,
  findPython,
  record,
  replay,
  run,
  runNative,
  snapshotDir,
  TempSpace,
  which,
  type RecordResult,
  type RunResult,
} from '../helpers/harness.js';

const space = new TempSpace('trees');
after(() => space.cleanup());

const TOOL_TIMEOUT_MS = 120_000;

/** Native runs until two differ (at most 3). */
async function nativePair(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<[RunResult, RunResult]> {
  const a = await runNative(cmd, args, opts);
  let b = await runNative(cmd, args, opts);
  if (bytesEqual(a.stdout, b.stdout)) b = await runNative(cmd, args, opts);
  return [a, b];
}

interface TreeCase {
  name: string;
  sane: string[];
  rounds: number;
  check?: (out: string) => void;
}

const cases: TreeCase[] = [
  {
    name: 'tree',
    rounds: 1,
    sane: [
      'ppid-is-top yes',
      'wait4 child1 pid',
      'same yes exited 1 code 0 utime-nonneg yes',
      'middle exited 1 code 4',
      'reparented yes',
      'signaled 1 termsig 15',
      'same yes code-exited yes status 7 signo-chld yes',
      'pgchild pgid-seen-by-parent yes parent-pgid-differs yes',
      'pgid-is-self yes',
      'pgchild reaped-by-group exited 1 code 11',
      'setsid-ok yes sid-is-self yes pgid-is-self yes old-sid-differs yes',
      'session child exited 1 code 12',
      'no-more-children yes',
    ],
    check: (out) => {
      // The child's pid as it saw it (through the pipe) is the one wait4 returned.
      const m = /child1 pid (\d+) /.exec(out);
      assert.ok(m, out);
      assert.equal(field(out, 'wait4', 'pid'), m[1], out);
    },
  },
  {
    name: 'execchild',
    rounds: 1,
    sane: [
      'echo-from-child ',
      'echo reaped exited 1 code 0',
      'exec-child forked pid',
      'forked-self reaped exited 1 code 3',
      'exec-child vforked pid',
      'vforked-self reaped exited 1 code 4',
      'echo-from-posix_spawn\n',
      'spawned-echo reaped exited 1 code 0',
      'exec-child spawned pid',
      'spawned-self reaped exited 1 code 5',
      'exec-missing errno-enoent yes',
      'missing reaped exited 1 code 127',
    ],
    check: (out) => {
      // Every exec'd copy of the program saw the parent as its parent.
      const parent = field(out, 'parent', 'pid');
      for (const how of ['forked', 'vforked', 'spawned']) assert.equal(field(out, `exec-child ${how}`, 'ppid'), parent, out);
    },
  },
  {
    name: 'sigint',
    rounds: 20,
    sane: ['SIGINT handler sig 2 si_pid', 'si_code-user yes', 'first from-child yes', 'second from-child yes'],
  },
];

for (const c of cases) {
  describe(`${c.name}.c`, () => {
    let native: RunResult | undefined;

    it('prints different things in two native runs, and its sanity lines', async () => {
      const exe = compileProgram(c.name);
      const [a, b] = await nativePair(exe, []);
      for (const r of [a, b]) {
        assert.equal(r.status, 0, explain(r));
        assert.ok(r.stdout.toString().endsWith('EXIT-SUCCESS\n'), explain(r));
        for (const line of c.sane) assert.ok(r.stdout.toString().includes(line), `native run lacks "${line}"\n${explain(r)}`);
        c.check?.(r.stdout.toString());
      }
      assertDiffer(a, b, c.name);
      native = a;
    });

    it(`${c.rounds === 1 ? 'record' : `${c.rounds} rounds of record`} + replay -a: sane recording, replay matches byte for byte`, async () => {
      const exe = compileProgram(c.name);
      const ref = native ?? (await runNative(exe));
      for (let round = 0; round < c.rounds; round++) {
        const rec = await record(exe, [], { space });
        const where = `round ${round + 1} of ${c.rounds}`;
        assertRecordedOk(rec, 0);
        assert.deepEqual(labels(rec.stdout), labels(ref.stdout), `${where}: line labels differ from a native run\n${explain(rec)}\n${explain(ref)}`);
        const out = rec.stdout.toString();
        for (const line of c.sane) assert.ok(out.includes(line), `${where}: recording lacks "${line}"\n${explain(rec)}`);
        c.check?.(out);
        assertReplayMatches(rec, await replay(rec.traceDir));
        fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
      }
    });
  });
}

/** Records cmd, checks status 0 and nothing left running, replays and checks the replay matches. */
async function recordAndReplay(cmd: string, args: string[], opts: { cwd?: string; beforeReplay?: (rec: RecordResult) => void } = {}): Promise<{ rec: RecordResult; rep: RunResult }> {
  const rec = await record(cmd, args, { space, cwd: opts.cwd, timeoutMs: TOOL_TIMEOUT_MS });
  assertStatus(rec, 0, 'record');
  assert.equal(rec.leftovers, false, explain(rec));
  opts.beforeReplay?.(rec);
  const rep = await replay(rec.traceDir, { timeoutMs: TOOL_TIMEOUT_MS });
  assertReplayMatches(rec, rep);
  return { rec, rep };
}

/** Every file under dir whose name ends with one of the suffixes (relative paths, sorted). */
function filesEndingWith(dir: string, suffixes: string[]): string[] {
  return snapshotDir(dir)
    .map((l) => l.split(' ')[0] ?? '')
    .filter((p) => suffixes.some((s) => p.endsWith(s)))
    .sort();
}

describe('real tools that start other programs', () => {
  it("sh -c 'ls /usr/lib | sort | head -5': record prints what a native run prints; replay -a matches", async () => {
    const sh = which('sh');
    assert.ok(sh, 'sh not found');
    const args = ['-c', 'ls /usr/lib | sort | head -5'];
    const native = await runNative(sh, args);
    assert.equal(native.status, 0, explain(native));
    assert.equal(native.stdout.toString().split('\n').length, 6, explain(native));
    const { rec } = await recordAndReplay(sh, args);
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record output differs from the native pipeline's\n${explain(rec)}\n${explain(native)}`);
    assert.ok(bytesEqual(rec.stderr, native.stderr), explain(rec));
  });

  it('make -j2 of a small C project: replay -a matches and creates no object file', async () => {
    const make = which('make');
    assert.ok(make, 'make not found');
    const dir = space.mkdir('make-');
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    for (const [i, n] of names.entries()) {
      fs.writeFileSync(path.join(dir, `${n}.c`), `int ${n}_value(int x) { return x * ${i + 2} + ${i}; }\n`);
    }
    const decls = names.map((n) => `int ${n}_value(int x);`).join('\n');
    const sum = names.map((n, i) => `${n}_value(${i + 1})`).join(' + ');
    fs.writeFileSync(
      path.join(dir, 'main.c'),
      `#include <stdio.h>\n#include <unistd.h>\n${decls}\nint main(void) { printf("sum %d pid %d\\n", ${sum}, (int)getpid()); return 0; }\n`,
    );
    const objs = [...names, 'main'].map((n) => `${n}.o`).join(' ');
    fs.writeFileSync(
      path.join(dir, 'Makefile'),
      `CC = gcc\nCFLAGS = -O1 -Wall\n\nall: prog\n\t./prog\n\nprog: ${objs}\n\t$(CC) -o $@ $^\n\n%.o: %.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\nclean:\n\trm -f *.o prog\n\n.PHONY: all clean\n`,
    );
    const expectedSum = names.reduce((s, _, i) => s + (i + 1) * (i + 2) + i, 0);

    // Natively: builds, and the program's pid makes two builds print different things.
    const native1 = await run(make, ['-j2', '-C', dir], { timeoutMs: TOOL_TIMEOUT_MS });
    assert.equal(native1.status, 0, explain(native1));
    assert.ok(native1.stdout.toString().includes(`sum ${expectedSum} pid `), explain(native1));
    await run(make, ['-C', dir, 'clean']);
    const native2 = await run(make, ['-j2', '-C', dir], { timeoutMs: TOOL_TIMEOUT_MS });
    assert.equal(native2.status, 0, explain(native2));
    assertDiffer(native1, native2, 'make -j2');
    await run(make, ['-C', dir, 'clean']);
    assert.deepEqual(filesEndingWith(dir, ['.o', 'prog']), []);

    let before: string[] = [];
    const { rec } = await recordAndReplay(make, ['-j2', '-C', dir], {
      beforeReplay: (r) => {
        assert.ok(r.stdout.toString().includes(`sum ${expectedSum} pid `), explain(r));
        // The recording really built everything...
        assert.deepEqual(filesEndingWith(dir, ['.o', 'prog']), [...names, 'main'].map((n) => `${n}.o`).concat('prog').sort(), explain(r));
        // ...which is removed now: a replay that ran the compiler would make it again.
        for (const f of filesEndingWith(dir, ['.o', 'prog'])) fs.rmSync(path.join(dir, f));
        before = snapshotDir(dir);
      },
    });
    assert.ok(rec.stdout.toString().includes(`gcc -O1 -Wall -c -o main.o main.c`), explain(rec));
    assert.deepEqual(filesEndingWith(dir, ['.o', 'prog']), [], 'replay created object files or the program');
    assert.deepEqual(snapshotDir(dir), before, 'replay changed the project directory');
  });

  const python = findPython();
  it('python3 running subprocesses: native runs differ; replay -a matches', { skip: python ? false : 'no ELF python3 in /usr/bin or /usr/local/bin' }, async () => {
    const script = [
      'import os, subprocess, sys, time',
      'print("python pid", os.getpid(), "time", time.time(), flush=True)',
      'r = subprocess.run(["/bin/echo", "echo-from-subprocess"], capture_output=True, text=True)',
      'print("captured", r.stdout.strip(), "status", r.returncode, flush=True)',
      'out = subprocess.check_output(["/bin/sh", "-c", "echo shell-pid $$; exit 0"], text=True)',
      'print("from-shell", out.strip(), flush=True)',
      'p = subprocess.Popen([sys.executable, "-c", "import os; print(\'grandchild\', os.getpid(), os.getppid())"], stdout=subprocess.PIPE, text=True)',
      'o, _ = p.communicate()',
      'print("child-said", o.strip(), "parent-matches", o.split()[2] == str(os.getpid()), "status", p.returncode, flush=True)',
      'r = subprocess.run(["/bin/sh", "-c", "exit 3"])',
      'print("exit-status", r.returncode, flush=True)',
      'subprocess.run(["/bin/echo", "echo-direct-to-stdout"])',
      'print("EXIT-SUCCESS", flush=True)',
    ].join('\n');
    const args = ['-c', script];
    const [a, b] = await nativePair(python!, args);
    assert.equal(a.status, 0, explain(a));
    assertDiffer(a, b, 'python3 subprocess');
    const { rec } = await recordAndReplay(python!, args);
    assertRecordedOk(rec, 0);
    const out = rec.stdout.toString();
    for (const line of ['captured echo-from-subprocess status 0', 'from-shell shell-pid ', 'parent-matches True status 0', 'exit-status 3', 'echo-direct-to-stdout\n']) {
      assert.ok(out.includes(line), `recording lacks "${line}"\n${explain(rec)}`);
    }
    assert.deepEqual(labels(rec.stdout), labels(a.stdout), `${explain(rec)}\n${explain(a)}`);
  });

  const git = which('git');
  it('git status in a small repository with a modified file: replay -a matches and leaves the repository alone', { skip: git ? false : 'git not installed' }, async () => {
    const dir = space.mkdir('git-');
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, GIT_PAGER: 'cat', LC_ALL: 'C' };
    const g = async (...args: string[]): Promise<RunResult> => {
      const r = await run(git!, ['-c', 'user.name=Rewind Test', '-c', 'user.email=rewind@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, env });
      assert.equal(r.status, 0, explain(r));
      return r;
    };
    const repo = path.join(dir, 'repo');
    fs.mkdirSync(repo);
    await g('init', '-q', repo);
    fs.writeFileSync(path.join(repo, 'tracked.txt'), 'first line\n');
    fs.writeFileSync(path.join(repo, 'other.txt'), 'unchanged\n');
    await g('-C', repo, 'add', 'tracked.txt', 'other.txt');
    await g('-C', repo, 'commit', '-q', '-m', 'first');
    fs.appendFileSync(path.join(repo, 'tracked.txt'), 'second line\n');
    fs.writeFileSync(path.join(repo, 'untracked.txt'), 'new\n');
    const native = await g('-C', repo, 'status');
    const nativeText = native.stdout.toString();
    assert.match(nativeText, /modified: +tracked\.txt/, explain(native));
    assert.match(nativeText, /untracked\.txt/, explain(native));

    let before: string[] = [];
    const rec = await record(git!, ['-C', repo, 'status'], { space, env, timeoutMs: TOOL_TIMEOUT_MS });
    assertStatus(rec, 0, 'record');
    assert.equal(rec.leftovers, false, explain(rec));
    assert.ok(bytesEqual(rec.stdout, native.stdout), `record output differs from native git status\n${explain(rec)}\n${explain(native)}`);
    before = snapshotDir(repo);
    const rep = await replay(rec.traceDir, { timeoutMs: TOOL_TIMEOUT_MS });
    assertReplayMatches(rec, rep);
    assert.deepEqual(snapshotDir(repo), before, 'replay changed the repository');

    // And after the working tree changes again, the replay still prints what was recorded.
    fs.rmSync(path.join(repo, 'untracked.txt'));
    fs.writeFileSync(path.join(repo, 'tracked.txt'), 'something else\n');
    assertReplayMatches(rec, await replay(rec.traceDir, { timeoutMs: TOOL_TIMEOUT_MS }));
  });
});
