// The command-line contract: --help and --version, the default trace directory ($REWIND_TRACE_DIR,
// else ~/.local/share/rewind) with <program>-<n> names and latest-trace, replay of the latest trace,
// the recorded program's environment/cwd/stdio, and the output of info and dump.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertRecordedOk, assertReplayMatches, assertStatus } from '../helpers/checks.js';
import {
  bytesEqual,
  compileProgram,
  explain,
  hasStackTrace,
  record,
  repoRoot,
  rewind,
  run,
  TempSpace,
  which,
  type RecordResult,
} from '../helpers/harness.js';

const space = new TempSpace('cli');
after(() => space.cleanup());

const pkgVersion = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** exitcode.c copied to DIR/exitcode, so the trace is named after "exitcode". */
function exitcodeIn(dir: string): string {
  const exe = path.join(dir, 'exitcode');
  fs.copyFileSync(compileProgram('exitcode'), exe);
  fs.chmodSync(exe, 0o755);
  return exe;
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

describe('help and version', () => {
  it('--help prints usage naming every command and exits 0', async () => {
    const r = await rewind(['--help']);
    assertStatus(r, 0, 'rewind --help');
    const out = r.stdout.toString();
    for (const word of ['record', 'replay', 'dump', 'info']) assert.ok(out.includes(word), `--help does not mention ${word}\n${explain(r)}`);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await rewind(['--version']);
    assertStatus(r, 0, 'rewind --version');
    assert.ok(r.stdout.toString().includes(pkgVersion), `--version does not print ${pkgVersion}\n${explain(r)}`);
  });

  it('an unknown command fails with a message and no stack trace', async () => {
    const r = await rewind(['frobnicate']);
    assert.notEqual(r.status, 0, explain(r));
    assert.ok(r.stderr.length > 0, explain(r));
    assert.ok(!hasStackTrace(r.stderr.toString()), explain(r));
  });
});

describe('default trace directory', () => {
  it('$REWIND_TRACE_DIR: traces named <program>-<n>, latest-trace points at the newest, replay without TRACE replays it', async () => {
    const traceRoot = space.mkdir('trace-root-');
    const exe = exitcodeIn(space.mkdir('bin-'));
    const env = { ...process.env, REWIND_TRACE_DIR: traceRoot };
    const first = await rewind(['record', exe, '3'], { env });
    assertRecordedOk(first, 3);
    const second = await rewind(['record', '--', exe, '5'], { env });
    assertRecordedOk(second, 5);

    const traces = fs.readdirSync(traceRoot).filter((n) => n !== 'latest-trace').sort();
    assert.equal(traces.length, 2, `expected two traces in ${traceRoot}: ${fs.readdirSync(traceRoot).join(', ')}`);
    for (const t of traces) assert.match(t, /^exitcode-\d+$/);
    const nums = traces.map((t) => Number(t.slice('exitcode-'.length))).sort((a, b) => a - b);
    assert.ok(nums[0]! < nums[1]!, `trace numbers should differ: ${traces.join(', ')}`);
    const newest = path.join(traceRoot, `exitcode-${nums[1]}`);
    assert.ok(fs.existsSync(path.join(traceRoot, 'latest-trace')), `no latest-trace in ${traceRoot}`);
    assert.equal(fs.realpathSync(path.join(traceRoot, 'latest-trace')), fs.realpathSync(newest), 'latest-trace does not point at the newest trace');

    const rep = await rewind(['replay', '-a'], { env });
    assertReplayMatches(second, rep);
    assert.ok(rep.stdout.toString().includes('exiting with 5\n'), explain(rep));

    // Naming a trace explicitly replays that one instead.
    const older = path.join(traceRoot, `exitcode-${nums[0]}`);
    assertReplayMatches(first, await rewind(['replay', '-a', older], { env }));
  });

  it('without $REWIND_TRACE_DIR the trace goes under $HOME/.local/share/rewind', async () => {
    const home = space.mkdir('home-');
    const exe = exitcodeIn(space.mkdir('bin-'));
    const env = { ...envWithout('REWIND_TRACE_DIR', 'XDG_DATA_HOME'), HOME: home };
    const rec = await rewind(['record', exe, '0'], { env });
    assertRecordedOk(rec, 0);
    const root = path.join(home, '.local', 'share', 'rewind');
    assert.ok(fs.existsSync(root), `${root} was not created\n${explain(rec)}`);
    const traces = fs.readdirSync(root).filter((n) => n !== 'latest-trace');
    assert.equal(traces.length, 1, fs.readdirSync(root).join(', '));
    assert.match(traces[0]!, /^exitcode-\d+$/);
    assert.ok(fs.existsSync(path.join(root, 'latest-trace')));
    assertReplayMatches(rec, await rewind(['replay', '-a'], { env }));
  });

  it('record -o DIR writes the trace to DIR and nothing under $REWIND_TRACE_DIR', async () => {
    const traceRoot = space.mkdir('trace-root-');
    const exe = exitcodeIn(space.mkdir('bin-'));
    const out = path.join(space.mkdir('o-'), 'my-trace');
    const rec = await rewind(['record', '-o', out, '--', exe, '0'], { env: { ...process.env, REWIND_TRACE_DIR: traceRoot } });
    assertRecordedOk(rec, 0);
    assert.ok(fs.existsSync(path.join(out, 'meta.json')), `no meta.json in ${out}`);
    assert.deepEqual(fs.readdirSync(traceRoot).filter((n) => n !== 'latest-trace'), []);
  });
});

describe('the recorded program gets the caller\'s environment, cwd and stdio', () => {
  it('environment: printenv sees a variable set by the caller', async () => {
    const printenv = which('printenv');
    assert.ok(printenv, 'printenv not found');
    const rec = await record(printenv, ['REWIND_TEST_VARIABLE'], { space, env: { ...process.env, REWIND_TEST_VARIABLE: 'value with spaces' } });
    assertStatus(rec, 0, 'record');
    assert.equal(rec.stdout.toString(), 'value with spaces\n', explain(rec));
    assertReplayMatches(rec, await rewind(['replay', '-a', rec.traceDir], { env: { ...process.env, REWIND_TEST_VARIABLE: 'other' } }));
  });

  // bin/rewind starts node with NODE_EXTRA_CA_CERTS emptied (node would read the certificates at
  // start) and gives it back before anything reads the environment: the program must not see that.
  it('environment: the program gets exactly the caller\'s, in order, whether NODE_EXTRA_CA_CERTS is set, empty or unset', async () => {
    const envTool = which('env');
    assert.ok(envTool, 'env not found');
    const base = envWithout('NODE_EXTRA_CA_CERTS', 'REWIND_NODE_EXTRA_CA_CERTS');
    const cases: [string, NodeJS.ProcessEnv][] = [
      ['set', { REWIND_TEST_FIRST: '1', NODE_EXTRA_CA_CERTS: '/no/such file $HOME \'q\' "d"', ...base, REWIND_TEST_LAST: '2' }],
      ['empty', { ...base, NODE_EXTRA_CA_CERTS: '', REWIND_TEST_LAST: '2' }],
      ['unset', { REWIND_TEST_FIRST: '1', ...base }],
    ];
    for (const [name, env] of cases) {
      const native = await run(envTool, [], { env });
      assertStatus(native, 0, `env (${name})`);
      const rec = await record(envTool, [], { space, env });
      assertStatus(rec, 0, `record env (${name})`);
      assert.equal(rec.stdout.toString(), native.stdout.toString(), `NODE_EXTRA_CA_CERTS ${name}: the recorded environment differs from the native one\n${explain(rec)}`);
      assertReplayMatches(rec, await rewind(['replay', '-a', rec.traceDir], { env }));
    }
  });

  it('cwd: the program runs in the caller\'s directory; replay from elsewhere still matches', async () => {
    const cwd = fs.realpathSync(space.mkdir('cwd-'));
    const rec = await record(compileProgram('sysinfo'), [], { space, cwd });
    assertRecordedOk(rec, 0);
    assert.ok(rec.stdout.toString().includes(`\ncwd ${cwd}\n`), explain(rec));
    assertReplayMatches(rec, await rewind(['replay', '-a', rec.traceDir], { cwd: '/' }));
  });

  it('a relative program path and a relative -o are resolved against the caller\'s cwd', async () => {
    const dir = space.mkdir('rel-');
    exitcodeIn(dir);
    const r = await rewind(['record', '-o', 'rel-trace', '--', './exitcode', '7'], { cwd: dir });
    assertRecordedOk(r, 7);
    assert.ok(fs.existsSync(path.join(dir, 'rel-trace', 'meta.json')), explain(r));
    assertReplayMatches(r, await rewind(['replay', '-a', path.join(dir, 'rel-trace')], { cwd: '/' }));
  });
});

describe('where the output goes', () => {
  it('stdout redirected to a file: the file gets the program\'s output; replay -a to a file writes the same bytes', async () => {
    const dir = space.mkdir('redirect-');
    const recFile = path.join(dir, 'record.out');
    const repFile = path.join(dir, 'replay.out');
    const traceDir = path.join(dir, 'trace');
    let fd = fs.openSync(recFile, 'w');
    const rec = await rewind(['record', '-o', traceDir, '--', compileProgram('random')], { stdoutFd: fd });
    fs.closeSync(fd);
    assertStatus(rec, 0, 'record');
    const recorded = fs.readFileSync(recFile);
    assert.match(recorded.toString(), /^getrandom [0-9a-f]{64}\n[\s\S]*EXIT-SUCCESS\n$/, explain(rec));
    fd = fs.openSync(repFile, 'w');
    const rep = await rewind(['replay', '-a', traceDir], { stdoutFd: fd });
    fs.closeSync(fd);
    assertStatus(rep, 0, 'replay');
    assert.ok(bytesEqual(fs.readFileSync(repFile), recorded), `replayed file differs\n${fs.readFileSync(repFile, 'utf8')}\n---\n${recorded.toString()}`);
  });

  it('a trace directory moved elsewhere still replays (it is self-contained)', async () => {
    const rec = await record(compileProgram('ids'), [], { space });
    assertRecordedOk(rec, 0);
    const moved = path.join(space.mkdir('moved-'), 'somewhere-else');
    fs.renameSync(rec.traceDir, moved);
    assertReplayMatches(rec, await rewind(['replay', '-a', moved]));
  });
});

describe('info and dump', () => {
  let rec: RecordResult;
  let meta: { version?: unknown; end?: { events?: unknown } | null } = {};

  before(async () => {
    rec = await record(compileProgram('random'), [], { space });
    meta = JSON.parse(fs.readFileSync(path.join(rec.traceDir, 'meta.json'), 'utf8')) as typeof meta;
  });

  it('meta.json records a numeric format version and the event count', () => {
    assertRecordedOk(rec, 0);
    assert.equal(typeof meta.version, 'number', JSON.stringify(meta));
    assert.equal(typeof meta.end?.events, 'number', `meta.json has no end.events after a finished recording: ${JSON.stringify(meta)}`);
    assert.ok((meta.end!.events as number) > 0);
  });

  it('the bundle bin/rewind runs (dist/rewind.cjs) and the ES modules (REWIND_BUNDLE=0) dump and replay alike', async () => {
    assertRecordedOk(rec, 0);
    const bundle = path.join(repoRoot, 'dist', 'rewind.cjs');
    const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    assert.ok(fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= fs.statSync(main).mtimeMs, 'dist/rewind.cjs is missing or older than dist/src: run npm run build');
    const modules = { env: { ...process.env, REWIND_BUNDLE: '0' } };
    for (const args of [['dump', rec.traceDir], ['replay', '-a', rec.traceDir]]) {
      const fromBundle = await rewind(args);
      const fromModules = await rewind(args, modules);
      assertStatus(fromBundle, 0, `rewind ${args[0]} (bundle)`);
      assertStatus(fromModules, 0, `rewind ${args[0]} (REWIND_BUNDLE=0)`);
      assert.ok(fromBundle.stdout.length > 0, explain(fromBundle));
      assert.ok(bytesEqual(fromBundle.stdout, fromModules.stdout), `rewind ${args[0]}: the bundle and the modules differ\n${explain(fromBundle)}\n${explain(fromModules)}`);
    }
  });

  it('the bundle keeps V8\'s code cache of a command\'s chunk per chunk file; bad cache data is refused, compiled again and replaced', async () => {
    assertRecordedOk(rec, 0);
    const cache = space.mkdir('xdg-cache-');
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const codeDir = path.join(cache, 'rewind', 'code');
    const entries = (): string[] => (fs.existsSync(codeDir) ? fs.readdirSync(codeDir).filter((n) => n.startsWith('cli-dump-command-')) : []);
    const reference = await rewind(['dump', rec.traceDir], { env });
    assertStatus(reference, 0, 'dump (no code cache yet)');
    assert.equal(entries().length, 1, `no code cache entry for the dump chunk in ${codeDir}: ${fs.existsSync(codeDir) ? fs.readdirSync(codeDir).join(', ') : 'no directory'}`);
    const entry = path.join(codeDir, entries()[0]!);
    assert.ok(fs.statSync(entry).size > 1000, `${entry} is too small to be V8 code`);
    const again = await rewind(['dump', rec.traceDir], { env });
    assertStatus(again, 0, 'dump (code cache)');
    assert.ok(bytesEqual(again.stdout, reference.stdout), `dump differs with the code cache\n${explain(again)}`);
    fs.writeFileSync(entry, Buffer.alloc(fs.statSync(entry).size, 0x5a));
    const garbage = await rewind(['dump', rec.traceDir], { env });
    assertStatus(garbage, 0, 'dump (garbage in the code cache)');
    assert.ok(bytesEqual(garbage.stdout, reference.stdout), `dump differs with garbage in the code cache\n${explain(garbage)}`);
    assert.deepEqual(entries(), [path.basename(entry)]);
    assert.notEqual(fs.readFileSync(entry)[0], 0x5a, 'the refused cache entry was not made again');
  });

  it('info mentions the command and the format version', async () => {
    assertRecordedOk(rec, 0);
    const r = await rewind(['info', rec.traceDir]);
    assertStatus(r, 0, 'info');
    const out = r.stdout.toString();
    assert.ok(out.includes('random-'), `info does not mention the program\n${explain(r)}`);
    assert.match(out, new RegExp(`version\\D{0,20}${String(meta.version)}\\b`, 'i'), `info does not show format version ${String(meta.version)}\n${explain(r)}`);
    assert.match(out, /event/i, explain(r));
  });

  it('info --json parses and carries the version, the command and the event count', async () => {
    assertRecordedOk(rec, 0);
    const r = await rewind(['info', '--json', rec.traceDir]);
    assertStatus(r, 0, 'info --json');
    let info: unknown;
    assert.doesNotThrow(() => (info = JSON.parse(r.stdout.toString())), `info --json is not JSON\n${explain(r)}`);
    const text = JSON.stringify(info);
    assert.ok(text.includes('random-'), `info --json does not mention the program: ${text}`);
    assert.ok(text.includes(String(meta.end?.events)), `info --json does not carry the event count ${String(meta.end?.events)}: ${text}`);
    assert.match(text, new RegExp(`"(format)?[vV]ersion":${String(meta.version)}\\b`), `info --json lacks the format version: ${text}`);
  });

  it('dump prints one line per event, then one indented line per call of a buffered event', async () => {
    assertRecordedOk(rec, 0);
    const r = await rewind(['dump', rec.traceDir]);
    assertStatus(r, 0, 'dump');
    const all = r.stdout.toString().split('\n').filter((l) => l !== '');
    // With the syscall buffer, a `buffered` event lists the calls the program made in its buffer below it.
    const lines = all.filter((l) => !l.startsWith('  '));
    const calls = all.filter((l) => l.startsWith('  '));
    assert.ok(lines.length > 0, explain(r));
    assert.equal(lines.length, meta.end?.events, `dump printed ${lines.length} lines for ${String(meta.end?.events)} events\n${explain(r, 3000)}`);
    assert.ok(lines.every((l) => /^\d+: /.test(l)), explain(r, 3000));
    const announced = lines.reduce((n, l) => n + Number(/^\d+: tid \d+ buffered (\d+) calls? /.exec(l)?.[1] ?? 0), 0);
    assert.equal(calls.length, announced, `buffered call lines: ${calls.length}, announced: ${announced}\n${explain(r, 3000)}`);
    assert.ok(calls.every((l) => /^ {2}\[buffered \d+\] tid \d+ \w+\(/.test(l)), explain(r, 3000));
    assert.match(lines[0]!, /exec/i, `the first event should be the exec\n${explain(r, 500)}`);
    // getrandom is traced, or buffered (then one of the indented call lines).
    assert.ok(all.some((l) => /getrandom\(/.test(l)), `dump shows no getrandom syscall\n${explain(r, 3000)}`);
  });

  it('dump --json prints one JSON object per line, as many as dump does', async () => {
    assertRecordedOk(rec, 0);
    const text = await rewind(['dump', rec.traceDir]);
    const r = await rewind(['dump', '--json', rec.traceDir]);
    assertStatus(r, 0, 'dump --json');
    const lines = r.stdout.toString().split('\n').filter((l) => l !== '');
    // One object per event: a buffered event's calls are a field of its object, not lines of their own.
    assert.equal(lines.length, text.stdout.toString().split('\n').filter((l) => l !== '' && !l.startsWith('  ')).length, explain(r, 3000));
    for (const [i, l] of lines.entries()) {
      let v: unknown;
      assert.doesNotThrow(() => (v = JSON.parse(l)), `line ${i + 1} of dump --json is not JSON: ${l.slice(0, 300)}`);
      assert.equal(typeof v, 'object', `line ${i + 1} is not an object: ${l.slice(0, 300)}`);
    }
  });

  it('info and dump without TRACE use the latest trace', async () => {
    const traceRoot = space.mkdir('latest-');
    const exe = exitcodeIn(space.mkdir('bin-'));
    const env = { ...process.env, REWIND_TRACE_DIR: traceRoot };
    assertRecordedOk(await rewind(['record', exe, '4'], { env }), 4);
    const info = await rewind(['info'], { env });
    assertStatus(info, 0, 'info');
    assert.ok(info.stdout.toString().includes('exitcode'), explain(info));
    const dump = await rewind(['dump'], { env });
    assertStatus(dump, 0, 'dump');
    assert.ok(dump.stdout.length > 0, explain(dump));
  });
});

describe('the syscall buffer is on by default; --no-syscall-buffer (rr\'s -n) and REWIND_NO_SYSCALL_BUFFER=1 turn it off', () => {
  /** Records ids.c with these arguments and environment; what meta.json, info and dump say of the buffer. */
  async function buffered(extra: string[], env: NodeJS.ProcessEnv): Promise<{ meta: boolean; info: string; calls: number }> {
    const traceDir = path.join(space.mkdir('sb-'), 'trace');
    const rec = await rewind(['record', '-o', traceDir, ...extra, '--', compileProgram('ids')], { env });
    assertRecordedOk(rec, 0);
    assertReplayMatches(rec, await rewind(['replay', '-a', traceDir], { env }));
    const meta = JSON.parse(fs.readFileSync(path.join(traceDir, 'meta.json'), 'utf8')) as { syscallBuffer?: boolean };
    const info = await rewind(['info', traceDir]);
    assertStatus(info, 0, 'info');
    const dump = await rewind(['dump', traceDir]);
    return { meta: meta.syscallBuffer === true, info: info.stdout.toString(), calls: dump.stdout.toString().split('\n').filter((l) => l.startsWith('  [buffered ')).length };
  }
  const plain = envWithout('REWIND_NO_SYSCALL_BUFFER', 'REWIND_SYSCALL_BUFFER');
  const off = { ...plain, REWIND_NO_SYSCALL_BUFFER: '1' };

  it('default: on (meta.json, info, buffered calls in dump)', async () => {
    const r = await buffered([], plain);
    assert.equal(r.meta, true);
    assert.match(r.info, /syscall buffer\W+yes/i, r.info);
    assert.ok(r.calls > 0, 'the ids were buffered');
  });

  it('--no-syscall-buffer and REWIND_NO_SYSCALL_BUFFER=1: off, every call traced; --syscall-buffer wins over the environment', async () => {
    for (const [extra, env] of [[['--no-syscall-buffer'], plain], [[], off]] as const) {
      const r = await buffered([...extra], env);
      assert.equal(r.meta, false, `${extra.join(' ')} ${env['REWIND_NO_SYSCALL_BUFFER'] ?? ''}`);
      assert.match(r.info, /syscall buffer\W+no \(every call traced/i, r.info);
      assert.equal(r.calls, 0);
    }
    assert.equal((await buffered(['--syscall-buffer'], off)).meta, true);
  });
});
