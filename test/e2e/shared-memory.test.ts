// Memory shared between processes, and files mapped shared, recorded and replayed (issues 13.2 and 14).
//   - shmfork.c: a MAP_SHARED|MAP_ANONYMOUS region and a memfd mapping inherited over fork, with racy
//     and atomic increments from the parent and 1-3 children in loops long enough to be preempted.
//     Native runs lose different numbers of racy updates; each of 20 rounds of record + replay -a
//     prints exactly what the recording printed (the replayed processes really share the regions,
//     and the recorded interleaving reproduces the races).
//   - shmfile.c: two MAP_SHARED mappings of one file, write/pwrite/pwritev/O_APPEND to the mapped
//     file, ftruncate growth with mremap over the new pages, a child writing through its inherited
//     mapping, a late private mapping, a read-only shared memfd mapping: replay prints what the
//     recording printed and touches no file.
//   - sysvshm.c: a System V segment (shmget, shmat) inherited over fork by 1-3 children, each attaching it
//     a second time read-only, racy and atomic increments, IPC_STAT, shmdt, IPC_RMID while attached:
//     20 rounds of record + replay -a print exactly what the recording printed.
//   - Under gdb, a replay that maps a file shared goes back in time (no copies of it are kept: it
//     re-executes) and shows the memory as it was.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertDiffer, assertRecordedOk, assertReplayMatches, field, labels } from '../helpers/checks.js';
import { debugReplay, printed } from '../helpers/gdb-session.js';
import {
  compileProgram, compileTo, explain, programsDir, record, replay, rewind, runNative, snapshotDir, TempSpace, type RunResult,
} from '../helpers/harness.js';

const space = new TempSpace('shared-memory');
after(() => space.cleanup());

const ROUNDS = 20;
/** Increments per process: a few time slices (50 ms of CPU) each when recorded. */
const LOOPS = '6000000';

/** Native runs of cmd until two print different things (at most 4). */
async function nativePair(cmd: string, args: string[]): Promise<[RunResult, RunResult]> {
  const a = await runNative(cmd, args);
  let b = await runNative(cmd, args);
  for (let i = 0; i < 2 && b.stdout.equals(a.stdout); i++) b = await runNative(cmd, args);
  return [a, b];
}

/** How many `preempted` events each recorded task has (rewind dump). */
async function preemptions(traceDir: string): Promise<Map<string, number>> {
  const d = await rewind(['dump', traceDir]);
  assert.equal(d.status, 0, explain(d));
  const per = new Map<string, number>();
  for (const m of d.stdout.toString().matchAll(/^\d+: tid (\d+) preempted /gm)) per.set(m[1]!, (per.get(m[1]!) ?? 0) + 1);
  return per;
}

function checkShmfork(out: string, children: number, what: string): void {
  // Child 1 does an eighth of the loops when there are several children (it ends early).
  const total = Number(LOOPS) * (children + 1) - (children > 1 ? Number(LOOPS) - Number(LOOPS) / 8 : 0);
  assert.ok(out.endsWith('EXIT-SUCCESS\n'), `${what}\n${out}`);
  assert.ok(out.includes('pread-sees-mapping yes\n'), `${what}\n${out}`);
  assert.ok(out.includes(`final atomic anon ${total} memfd ${2 * total} exact yes\n`), `${what}: atomic increments were lost\n${out}`);
  assert.ok(out.includes('pread-sees-child yes\n'), `${what}\n${out}`);
  for (let c = 1; c <= children; c++) {
    assert.ok(out.includes(`child${c} exited 1 code ${c}\nchild${c} saw racy `), `${what}\n${out}`);
  }
  const anon = Number(field(out, 'final racy', 'anon'));
  const memfd = Number(field(out, 'final racy', 'memfd'));
  for (const v of [anon, memfd]) assert.ok(v > 0 && v <= total, `${what}: racy value ${v} out of range\n${out}`);
}

describe('shmfork.c: anonymous and memfd shared memory inherited over fork', () => {
  it('native runs lose different numbers of racy updates; atomic ones are exact', async () => {
    const exe = compileProgram('shmfork');
    const [a, b] = await nativePair(exe, [LOOPS]);
    for (const r of [a, b]) {
      assert.equal(r.status, 0, explain(r));
      checkShmfork(r.stdout.toString(), 1, 'native');
    }
    assertDiffer(a, b, 'shmfork');
  });

  it(`${ROUNDS} rounds of record + replay -a with 1 to 3 children: the replay prints exactly what the recording printed`, async () => {
    const exe = compileProgram('shmfork');
    for (let round = 0; round < ROUNDS; round++) {
      const children = 1 + (round % 3);
      const where = `round ${round + 1} of ${ROUNDS} (${children} children)`;
      const rec = await record(exe, [LOOPS, String(children)], { space });
      assertRecordedOk(rec, 0);
      const out = rec.stdout.toString();
      checkShmfork(out, children, `${where}: recording`);
      // The loops were long enough for the recorder to take the CPU from them in the middle.
      const per = await preemptions(rec.traceDir);
      assert.ok(per.size >= 2, `${where}: fewer than two tasks were preempted (${JSON.stringify([...per])})`);
      assertReplayMatches(rec, await replay(rec.traceDir));
      fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
    }
  });
});

describe('sysvshm.c: System V shared memory inherited over fork and attached again', () => {
  /** Its loop does less per pass than shmfork's: more passes for a few time slices each. */
  const SYSV_LOOPS = '20000000';
  function checkSysv(out: string, children: number, what: string): void {
    const total = Number(SYSV_LOOPS) * (children + 1);
    assert.ok(out.startsWith('segsz 10000 nattch-at-least-1 yes\n'), `${what}\n${out}`);
    assert.ok(out.includes(`atomic ${total} expected ${total} atomic-ok yes\n`), `${what}: atomic increments were lost\n${out}`);
    for (let c = 1; c <= children; c++) assert.match(out, new RegExp(`^child ${c} seen \\d+ alias yes$`, 'm'), `${what}\n${out}`);
    assert.ok(out.endsWith('removed-but-attached: still here\nEXIT-SUCCESS\n'), `${what}\n${out}`);
  }

  it('native runs differ and print their sanity lines', async () => {
    const exe = compileProgram('sysvshm');
    const [a, b] = await nativePair(exe, [SYSV_LOOPS, '2']);
    for (const r of [a, b]) {
      assert.equal(r.status, 0, explain(r));
      checkSysv(r.stdout.toString(), 2, 'native');
    }
    assertDiffer(a, b, 'sysvshm');
  });

  it(`${ROUNDS} rounds of record + replay -a with 1 to 3 children: the replay prints exactly what the recording printed`, async () => {
    const exe = compileProgram('sysvshm');
    for (let round = 0; round < ROUNDS; round++) {
      const children = 1 + (round % 3);
      const where = `round ${round + 1} of ${ROUNDS} (${children} children)`;
      const rec = await record(exe, [SYSV_LOOPS, String(children)], { space });
      assertRecordedOk(rec, 0);
      checkSysv(rec.stdout.toString(), children, `${where}: recording`);
      const per = await preemptions(rec.traceDir);
      assert.ok(per.size >= 2, `${where}: fewer than two tasks were preempted (${JSON.stringify([...per])})`);
      assertReplayMatches(rec, await replay(rec.traceDir));
      fs.rmSync(path.dirname(rec.traceDir), { recursive: true, force: true });
    }
  });
});

describe('shmfile.c: a file mapped shared twice, changed by writes, growth and a child', () => {
  const sane = [
    'b-sees-a through-a ', 'a-sees-pwrite pwrite-', ' b-sees-pwrite pwrite-', 'a-sees-write write-', 'b-sees-pwritev vec-write-',
    'grown-page-zero 0\n', 'pread-sees-grown grown-', 'size 16384\n', 'parent-sees-child child-', 'private-sees through-a ',
    ' appended-', 'ro-sees-pwrite memfd-', 'EXIT-SUCCESS\n',
  ];

  it('native runs differ and print their sanity lines', async () => {
    const exe = compileProgram('shmfile');
    const dir = space.mkdir('native-');
    const [a, b] = await nativePair(exe, [dir]);
    for (const r of [a, b]) {
      assert.equal(r.status, 0, explain(r));
      for (const s of sane) assert.ok(r.stdout.toString().includes(s), `native run lacks "${s}"\n${explain(r)}`);
    }
    assertDiffer(a, b, 'shmfile');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('record + replay -a: replay matches byte for byte and writes no file', async () => {
    const exe = compileProgram('shmfile');
    for (let round = 0; round < 3; round++) {
      const dir = space.mkdir('work-');
      const rec = await record(exe, [dir], { space });
      assertRecordedOk(rec, 0);
      const out = rec.stdout.toString();
      for (const s of sane) assert.ok(out.includes(s), `recording lacks "${s}"\n${explain(rec)}`);
      // What the mappings showed is what was written.
      const seed = BigInt(field(out, 'seed', 'seed') ?? '0');
      assert.ok(out.includes(`b-sees-a through-a ${seed % 100000n}\n`), out);
      assert.ok(out.includes(`a-sees-pwrite pwrite-${seed % 7777n} b-sees-pwrite pwrite-${seed % 7777n}\n`), out);
      assert.ok(out.includes(`pread-sees-grown grown-${seed % 5555n}\n`), out);
      assert.ok(out.includes(`ro-sees-pwrite memfd-${seed % 4444n}\n`), out);
      const before = snapshotDir(dir);
      assert.deepEqual(before, [], 'the program left its file behind');
      const rep = await replay(rec.traceDir);
      assertReplayMatches(rec, rep);
      assert.deepEqual(labels(rep.stdout), labels(rec.stdout));
      assert.deepEqual(snapshotDir(dir), before, 'replay created or changed a file');
    }
  });

  it('under gdb: going back from after the writes shows the file mapping as it was before them', async () => {
    const exe = path.join(space.mkdir('bin-'), 'shmfile');
    compileTo(path.join(programsDir, 'shmfile.c'), exe, { flags: ['-O0'] });
    const dir = space.mkdir('gdb-');
    const rec = await record(exe, [dir], { space });
    assertRecordedOk(rec, 0);
    // fnv() hashes mapping a, then b, then (after every change) the grown mapping: all views of the
    // file, where offset 10 is written through a mapping and 4096 + 300 by write(2).
    const bytes = (at: string) => `print/x *(unsigned char (*)[9])(p + ${at})`;
    const { gdb } = await debugReplay(exe, rec.traceDir, [
      'break fnv', 'continue', 'continue', bytes('10'), bytes('4096 + 300'),
      'continue', bytes('10'), bytes('4096 + 300'), 'print (char *)(p + 10)', 'info proc mappings',
      'reverse-continue', bytes('10'), bytes('4096 + 300'), 'monitor info', 'kill',
    ]);
    const values = printed(gdb);
    assert.equal(values.length, 7, gdb);
    const [before10, before4396, after10, after4396, text, back10, back4396] = values;
    assert.match(text!, /"through-a \d+"/, gdb);
    assert.notEqual(after10, before10, gdb);
    assert.notEqual(after4396, before4396, gdb);
    // Back before the writes, the memory is what it was then (the backing is the replay's own, remade).
    assert.equal(back10, before10, gdb);
    assert.equal(back4396, before4396, gdb);
    assert.match(gdb, /Restore points: (the start|only the start)/, gdb);
    // The debugger sees the recorded file where the replay maps its shared backing.
    const file = path.join(dir, 'shmfile-');
    assert.ok(gdb.split('\n').filter((l) => l.includes(file)).length >= 2, `info proc mappings does not show ${file}*:\n${gdb}`);
    assert.doesNotMatch(gdb, /memfd:rewind-shared/, gdb);
    assert.deepEqual(snapshotDir(dir), [], 'the debugged replay created a file');
  });
});
