// rewind benchmark: wall time of real programs run natively, under `rewind record`, and under
// `rewind replay -a`, several runs each; prints medians and the record/native and replay/native
// ratios as a table (and the milliseconds rewind adds: the startup workload, /bin/true, is rewind's
// start-up cost, with node's own start-up timed beside it), and writes JSON with every sample when
// given `--json FILE`. As a reference it also times `strace -f` of each workload, pinned to one CPU
// as rewind pins itself (`--no-strace` leaves it out), and prints the geometric mean of the ratios
// over the workloads that do real work (all but startup).
//
//   npm run bench                      # all workloads
//   npm run bench -- --json out.json   # also write JSON
//   npm run bench -- --runs 3 --only gzip

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileTo, u8, findPython, mixedContent, rewindBin, run, shellStatus, TempSpace, which, type RunResult } from '../test/helpers/harness.js';

interface Workload {
  name: string;
  description: string;
  cmd: string;
  args: string[];
  /** Send the program's stdout to a file (in the temp space) instead of a pipe. */
  stdoutToFile?: boolean;
  /** Fewer runs for slow workloads. */
  runs?: number;
  /** Untimed preparation before every timed run (e.g. `make clean`, so each build does the same work). */
  prepare?: () => Promise<void>;
  /** Also time node's own start-up (`node -e 0`) in every round: the floor under rewind's start-up. */
  nodeFloor?: boolean;
}

interface Samples {
  native: number[];
  record: number[];
  replay: number[];
  traceBytes: number[];
  /** `node -e 0`, for workloads with nodeFloor. */
  node?: number[];
  /** `node -e 0` with NODE_EXTRA_CA_CERTS empty, as bin/rewind starts node (it reads no certificates then). */
  nodeBare?: number[];
  /** `strace -f -o /dev/null`, pinned to one CPU: the reference for a ptrace-based tool. */
  strace: number[];
}

interface WorkloadResult {
  name: string;
  description: string;
  command: string;
  runs: number;
  samplesMs: Samples;
  medianMs: { native: number; record: number; replay: number; strace: number; node?: number; nodeBare?: number };
  ratio: { record: number; replay: number; strace: number };
  /** What rewind adds to the native run: median(record) - median(native), median(replay) - median(native). */
  addedMs: { record: number; replay: number };
  medianTraceBytes: number;
  error?: string;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

interface BenchOptions { json: string | null; runs: number | null; only: string | null; strace: boolean }

function parseArgs(argv: string[]): BenchOptions {
  let json: string | null = null;
  let runs: number | null = null;
  let only: string | null = null;
  let strace = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = argv[++i] ?? null;
    else if (a === '--no-strace') strace = false;
    else if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--only') only = argv[++i] ?? null;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/bench.js [--json FILE] [--runs N] [--only NAME] [--no-strace]');
      process.exit(0);
    } else {
      console.error(`bench: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (json === null && argv.includes('--json')) {
    console.error('bench: --json needs a file name');
    process.exit(2);
  }
  if (runs !== null && !(runs >= 1)) {
    console.error('bench: --runs needs a positive number');
    process.exit(2);
  }
  return { json, runs, only, strace };
}

const PYTHON_SCRIPT = `
import os, hashlib, sys
def primes(n):
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b'\\x00\\x00'
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i*i::i] = bytearray(len(sieve[i*i::i]))
    return [i for i, v in enumerate(sieve) if v]
ps = primes(3_000_000)
# Interpreter-bound work too: trial division.
small = []
n = 2
while len(small) < 6000:
    if all(n % p for p in small if p * p <= n):
        small.append(n)
    n += 1
total = 0
count = 0
h = hashlib.sha256()
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for f in sorted(files):
        p = os.path.join(root, f)
        try:
            with open(p, 'rb') as fh:
                data = fh.read(65536)
        except OSError:
            continue
        h.update(data)
        total += len(data)
        count += 1
        if count >= 3000:
            break
    if count >= 3000:
        break
print(len(ps), ps[-1], small[-1], count, total, h.hexdigest())
`;

/** sqlite3: a table filled in 400 transactions (each a journal write), an index, aggregate queries. */
const SQLITE_SCRIPT = `
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);
${Array.from({ length: 400 }, (_, i) =>
  `BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) ` +
  `INSERT INTO t(k, v) SELECT (x * ${i + 7919}) % 1000, printf('row-%d-%d', ${i}, x) FROM c; COMMIT;`).join('\n')}
CREATE INDEX tk ON t(k);
SELECT count(*), sum(k), max(v) FROM t;
SELECT k, count(*) FROM t GROUP BY k ORDER BY count(*) DESC, k LIMIT 5;
SELECT count(*) FROM t a JOIN t b ON a.k = b.k WHERE a.id < 2000 AND b.id < 2000;
`;

/** node: JSON and string work, then reads and hashes 2000 files of /usr/share. */
const NODE_SCRIPT = `
const fs = require('node:fs'); const path = require('node:path'); const crypto = require('node:crypto');
let objs = [];
for (let i = 0; i < 200000; i++) objs.push({ i, s: 'item-' + i.toString(36), v: (i * 2654435761) % 1000003 });
const text = JSON.stringify(objs); objs = JSON.parse(text);
const h = crypto.createHash('sha256');
let count = 0, bytes = 0;
const walk = (dir) => {
  let entries; try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (count >= 2000) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) { try { const d = fs.readFileSync(p); h.update(d.subarray(0, 65536)); bytes += d.length; count++; } catch {} }
  }
};
walk(process.argv[2]);
console.log(objs.length, text.length, count, bytes, h.digest('hex'));
`;

/** A source tree for cp -a: 40 directories of 50 files, 4 KiB each (8 MiB), symlinks and modes kept. */
function writeSourceTree(dir: string): void {
  const content = u8(mixedContent(4096 * 50, 5));
  for (let d = 0; d < 40; d++) {
    const sub = path.join(dir, `dir${d}`);
    fs.mkdirSync(sub);
    for (let f = 0; f < 50; f++) {
      const file = path.join(sub, `file${f}.c`);
      fs.writeFileSync(file, content.subarray(f * 4096, (f + 1) * 4096));
      if (f % 10 === 0) fs.chmodSync(file, 0o755);
    }
    fs.symlinkSync(`file0.c`, path.join(sub, 'link.c'));
  }
}

const MAKE_UNITS = 6;

/** A small C project: MAKE_UNITS translation units with a little arithmetic each, a main, a Makefile. */
function writeMakeProject(dir: string): void {
  const names: string[] = [];
  for (let i = 0; i < MAKE_UNITS; i++) {
    const name = `unit${i}`;
    names.push(name);
    const fns: string[] = [];
    for (let j = 0; j < 40; j++) {
      fns.push(
        `static unsigned long ${name}_f${j}(unsigned long x) {\n` +
          `  for (int k = 0; k < ${8 + j}; k++) x = x * ${2654435761 + j}UL + (x >> ${(j % 13) + 3}) + ${i * 100 + j}UL;\n` +
          `  return x;\n}\n`,
      );
    }
    const calls = Array.from({ length: 40 }, (_, j) => `  x = ${name}_f${j}(x);`).join('\n');
    fs.writeFileSync(path.join(dir, `${name}.c`), `${fns.join('\n')}\nunsigned long ${name}(unsigned long x) {\n${calls}\n  return x;\n}\n`);
  }
  const decls = names.map((n) => `unsigned long ${n}(unsigned long x);`).join('\n');
  const chain = names.map((n) => `  x = ${n}(x);`).join('\n');
  fs.writeFileSync(
    path.join(dir, 'main.c'),
    `#include <stdio.h>\n${decls}\nint main(void) {\n  unsigned long x = 1;\n${chain}\n  printf("%lu\\n", x);\n  return 0;\n}\n`,
  );
  const objs = [...names, 'main'].map((n) => `${n}.o`).join(' ');
  fs.writeFileSync(
    path.join(dir, 'Makefile'),
    `CC = gcc\nCFLAGS = -O2 -g -Wall\n\nall: prog\n\t./prog\n\nprog: ${objs}\n\t$(CC) -o $@ $^\n\n%.o: %.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\n` +
      `clean:\n\trm -f *.o prog\n\n.PHONY: all clean\n`,
  );
}

/** 4 threads doing mutex-protected work, with a system call (a write to a file) every 100 updates. */
const THREADS_PROGRAM = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define UPDATES 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t table[256];
static int out_fd;

static void *work(void *arg) {
  uint64_t x = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
  char line[64];
  for (int i = 0; i < UPDATES; i++) {
    for (int k = 0; k < 200; k++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
    pthread_mutex_lock(&lock);
    table[x & 255] += x >> 8;
    pthread_mutex_unlock(&lock);
    if (i % 100 == 0) {
      int n = snprintf(line, sizeof line, "%d %d %016llx\\n", gettid(), i, (unsigned long long)x);
      if (write(out_fd, line, (size_t)n) != n) return (void *)1;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  out_fd = open(argc > 1 ? argv[1] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0) { perror("open"); return 1; }
  pthread_t th[NTHREADS];
  for (long t = 0; t < NTHREADS; t++) pthread_create(&th[t], NULL, work, (void *)(uintptr_t)(t + 1));
  int failed = 0;
  for (int t = 0; t < NTHREADS; t++) { void *r; pthread_join(th[t], &r); failed |= r != NULL; }
  uint64_t sum = 0;
  for (int i = 0; i < 256; i++) sum += table[i] * (uint64_t)(i + 1);
  printf("%016llx\\n", (unsigned long long)sum);
  close(out_fd);
  return failed;
}
`;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(rewindBin)) {
    console.error(`bench: ${rewindBin} does not exist; run npm run build`);
    process.exit(1);
  }
  const space = new TempSpace('bench');
  const cleanup = (): void => space.cleanup();
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const workloads: Workload[] = [];
    const ls = which('ls');
    const lsTarget = fs.existsSync('/usr/lib') ? '/usr/lib' : '/usr/share';
    if (ls) workloads.push({ name: 'ls-lR', description: `ls -lR ${lsTarget} > file`, cmd: ls, args: ['-lR', lsTarget], stdoutToFile: true });
    const gzip = which('gzip');
    if (gzip) {
      const input = space.path('gzip-input.dat');
      fs.writeFileSync(input, u8(mixedContent(30 * 1024 * 1024, 17)));
      workloads.push({ name: 'gzip', description: 'gzip -c of a 30 MiB mixed file > /dev/null', cmd: gzip, args: ['-c', input] });
    }
    const cp = which('cp');
    if (cp) {
      const tree = space.mkdir('cp-tree-');
      writeSourceTree(tree);
      const dest = space.path('cp-dest');
      workloads.push({
        name: 'cp-a',
        description: 'cp -a of a source tree (40 directories, 2000 files of 4 KiB, symlinks), the copy removed before every run',
        cmd: cp,
        args: ['-a', tree, dest],
        prepare: async () => fs.rmSync(dest, { recursive: true, force: true }),
      });
    }
    const sqlite = which('sqlite3');
    if (sqlite) {
      const db = space.path('bench.db');
      const sql = space.path('bench.sql');
      fs.writeFileSync(sql, SQLITE_SCRIPT);
      workloads.push({
        name: 'sqlite3',
        description: 'sqlite3: 40000 rows inserted in 400 transactions, an index, aggregate queries and a join (database removed before every run)',
        cmd: sqlite,
        args: [db, `.read ${sql}`],
        runs: 3,
        prepare: async () => {
          for (const f of [db, `${db}-journal`]) fs.rmSync(f, { force: true });
        },
      });
    }
    // Start-up: what rewind adds to a program that does nothing (node's start, loading rewind, the
    // capability and patch-site caches, creating and opening the trace). Node's own start is timed too.
    workloads.push({ name: 'startup', description: '/bin/true (a program that does nothing), with node -e 0 for node\'s own start-up', cmd: '/bin/true', args: [], runs: 15, nodeFloor: true });
    const make = which('make');
    const python = findPython();
    if (python) {
      const script = space.path('work.py');
      fs.writeFileSync(script, PYTHON_SCRIPT);
      workloads.push({
        name: 'python',
        description: 'python3: sieve to 3e6, 6000 primes by trial division, read 3000 files of /usr/share',
        cmd: python,
        args: [script, '/usr/share'],
        runs: 3,
      });
    }
    if (make && which('gcc')) {
      const dir = space.mkdir('make-project-');
      writeMakeProject(dir);
      workloads.push({
        name: 'make-j2',
        description: `make -j2 of a generated ${MAKE_UNITS}-file C project (gcc -O2), cleaned before every run`,
        cmd: make,
        args: ['-j2', '-C', dir],
        runs: 3,
        prepare: async () => {
          const r = await run(make, ['-s', '-C', dir, 'clean']);
          if (r.status !== 0) throw new Error(`make clean failed: ${r.stderr.toString().trim()}`);
        },
      });
    }
    {
      const script = space.path('work.js');
      fs.writeFileSync(script, NODE_SCRIPT);
      workloads.push({
        name: 'node',
        description: 'node: 200000 objects through JSON, then read and hash 2000 files of /usr/share',
        cmd: process.execPath,
        args: [script, '/usr/share'],
        runs: 3,
      });
    }
    if (which('gcc')) {
      const exe = space.path('threads-work');
      compileTo(THREADS_PROGRAM, exe, { text: true, flags: ['-pthread'] });
      workloads.push({
        name: 'threads',
        description: 'C program: 4 threads, 100000 mutex-protected updates each, a write(2) to a file every 100',
        cmd: exe,
        args: [space.path('threads-out.dat')],
      });
    }
    const selected = workloads.filter((w) => opts.only === null || w.name === opts.only);
    if (selected.length === 0) {
      console.error(`bench: no workload to run${opts.only ? ` named ${opts.only}` : ''}`);
      process.exit(1);
    }

    // strace -f as a reference, pinned to one CPU (rewind pins its recordings too).
    const strace = opts.strace ? which('strace') : null;
    const taskset = which('taskset');
    const straceCmd = (w: Workload): [string, string[]] | null =>
      strace && taskset ? [taskset, ['-c', '0', strace, '-f', '-qq', '-o', '/dev/null', w.cmd, ...w.args]] : null;

    const devNull = fs.openSync('/dev/null', 'w');
    const results: WorkloadResult[] = [];
    for (const w of selected) {
      const runs = opts.runs ?? w.runs ?? 5;
      const samples: Samples = { native: [], record: [], replay: [], traceBytes: [], strace: [], ...(w.nodeFloor ? { node: [], nodeBare: [] } : {}) };
      let error: string | undefined;
      const timed = async (cmd: string, args: string[], i: number, kind: string, env?: NodeJS.ProcessEnv): Promise<RunResult> => {
        if (w.prepare) await w.prepare();
        // Untimed: the dirty pages of earlier runs (traces written, copies removed) are written back
        // now, not during this run (cp -a's native time grew from 101 to 1134 ms over 5 runs without).
        execFileSync('sync');
        let fd = devNull;
        if (w.stdoutToFile) fd = fs.openSync(space.path(`${w.name}-${kind}-${i}.out`), 'w');
        try {
          return await run(cmd, args, { stdoutFd: fd, timeoutMs: 600_000, ...(env && { env }) });
        } finally {
          if (fd !== devNull) {
            fs.closeSync(fd);
            fs.rmSync(space.path(`${w.name}-${kind}-${i}.out`), { force: true });
          }
        }
      };
      const check = (r: RunResult, kind: string): void => {
        if (shellStatus(r) !== 0 || r.timedOut) {
          throw new Error(`${kind} of ${w.name} failed (status ${r.status}${r.timedOut ? ', timed out' : ''}): ${r.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`);
        }
      };
      process.stderr.write(`bench: ${w.name} (${runs} runs) `);
      try {
        // One untimed native run to warm the page cache.
        check(await timed(w.cmd, w.args, -1, 'warm'), 'native warm-up');
        for (let i = 0; i < runs; i++) {
          const n = await timed(w.cmd, w.args, i, 'native');
          check(n, 'native run');
          samples.native.push(n.durationMs);
          if (samples.node) {
            const nodeRun = await timed(process.execPath, ['-e', '0'], i, 'node');
            check(nodeRun, 'node -e 0');
            samples.node.push(nodeRun.durationMs);
            const bareRun = await timed(process.execPath, ['-e', '0'], i, 'node', { ...process.env, NODE_EXTRA_CA_CERTS: '' });
            check(bareRun, 'node -e 0 (NODE_EXTRA_CA_CERTS empty)');
            samples.nodeBare!.push(bareRun.durationMs);
          }

          const st = straceCmd(w);
          if (st) {
            const r = await timed(st[0], st[1], i, 'strace');
            check(r, 'strace');
            samples.strace.push(r.durationMs);
          }

          const traceDir = path.join(space.mkdir('trace-'), 'trace');
          const rec = await timed(rewindBin, ['record', '-o', traceDir, '--', w.cmd, ...w.args], i, 'record');
          check(rec, 'record');
          samples.record.push(rec.durationMs);
          samples.traceBytes.push(dirSize(traceDir));

          const rep = await timed(rewindBin, ['replay', '-a', traceDir], i, 'replay');
          check(rep, 'replay');
          samples.replay.push(rep.durationMs);
          fs.rmSync(path.dirname(traceDir), { recursive: true, force: true });
          process.stderr.write('.');
        }
      } catch (e) {
        error = (e as Error).message;
      }
      process.stderr.write(error ? ` failed\n` : ' done\n');
      const med = {
        native: median(samples.native), record: median(samples.record), replay: median(samples.replay), strace: median(samples.strace),
        ...(samples.node ? { node: median(samples.node), nodeBare: median(samples.nodeBare!) } : {}),
      };
      results.push({
        name: w.name,
        description: w.description,
        command: [w.cmd, ...w.args].join(' '),
        runs,
        samplesMs: samples,
        medianMs: med,
        ratio: { record: med.record / med.native, replay: med.replay / med.native, strace: med.strace / med.native },
        addedMs: { record: med.record - med.native, replay: med.replay - med.native },
        medianTraceBytes: median(samples.traceBytes),
        ...(error ? { error } : {}),
      });
    }
    fs.closeSync(devNull);

    printTable(results);
    if (opts.json) {
      const report = {
        date: new Date().toISOString(),
        host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', kernel: os.release(), node: process.version },
        results,
        geometricMean: geometricMeans(results),
      };
      fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
      console.log(`\nJSON written to ${opts.json}`);
    }
    if (results.some((r) => r.error)) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

/** Workloads whose ratios say how fast rewind runs a program (startup measures a constant, not a ratio). */
const isWork = (r: WorkloadResult): boolean => r.name !== 'startup' && !r.error;

/** The geometric means of the ratios over the working workloads (NaN where none has a value). */
function geometricMeans(results: WorkloadResult[]): { record: number; replay: number; strace: number; workloads: string[] } {
  const work = results.filter(isWork);
  const gm = (xs: number[]): number => {
    const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
    return ok.length === xs.length && ok.length > 0 ? Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length) : NaN;
  };
  return {
    record: gm(work.map((r) => r.ratio.record)),
    replay: gm(work.map((r) => r.ratio.replay)),
    strace: gm(work.map((r) => r.ratio.strace)),
    workloads: work.map((r) => r.name),
  };
}

/** Issue 12: record and replay -a of /bin/true add at most this to a native run. */
const STARTUP_TARGET_MS = 60;

function printTable(results: WorkloadResult[]): void {
  const fmtMs = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '-');
  const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');
  const fmtBytes = (x: number): string => (Number.isFinite(x) ? `${(x / 1024 / 1024).toFixed(1)} MiB` : '-');
  const rows = [
    ['workload', 'runs', 'native', 'record', 'replay', 'record/native', 'replay/native', 'record added', 'replay added', 'trace size', 'strace -f/native'],
    ...results.map((r) => [
      r.name,
      String(r.runs),
      fmtMs(r.medianMs.native),
      fmtMs(r.medianMs.record),
      fmtMs(r.medianMs.replay),
      fmtRatio(r.ratio.record),
      fmtRatio(r.ratio.replay),
      fmtMs(r.addedMs.record),
      fmtMs(r.addedMs.replay),
      fmtBytes(r.medianTraceBytes),
      fmtRatio(r.ratio.strace),
    ]),
  ];
  const gm = geometricMeans(results);
  if (gm.workloads.length > 1) {
    rows.push(['geo. mean', '', '', '', '', fmtRatio(gm.record), fmtRatio(gm.replay), '', '', '', fmtRatio(gm.strace)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  console.log('rewind benchmark (medians of wall time)');
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
  if (gm.workloads.length > 1) console.log(`  geo. mean: of the ratios of ${gm.workloads.join(', ')} (startup is a constant, not a ratio)`);
  console.log('  strace -f: strace -f -o /dev/null of the same command, pinned to CPU 0, for reference');
  for (const r of results) {
    console.log(`  ${r.name}: ${r.description}`);
    if (r.medianMs.node !== undefined && r.medianMs.nodeBare !== undefined) {
      const ok = (added: number): string => (added <= STARTUP_TARGET_MS ? 'within' : 'over');
      console.log(`    start-up: record -- ${r.command} adds ${fmtMs(r.addedMs.record)} (${ok(r.addedMs.record)} the ${STARTUP_TARGET_MS} ms target), ` +
        `replay -a adds ${fmtMs(r.addedMs.replay)} (${ok(r.addedMs.replay)} it): medians, minus native's`);
      const node = r.medianMs.nodeBare - r.medianMs.native;
      console.log(`    node -e 0: ${fmtMs(r.medianMs.node)} as this environment starts it, ${fmtMs(r.medianMs.nodeBare)} with ` +
        `NODE_EXTRA_CA_CERTS empty as bin/rewind starts it (${fmtMs(node)} more than native), so rewind itself adds ` +
        `${fmtMs(r.addedMs.record - node)} to record and ${fmtMs(r.addedMs.replay - node)} to replay beyond node's start-up`);
    }
    if (r.error) console.log(`    FAILED: ${r.error}`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
