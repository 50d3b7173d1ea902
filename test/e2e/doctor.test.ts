// `rewind doctor`: each capability, whether it works and the path rewind takes; checked against an
// independent program that makes the same traps happen, and against what a recording really did.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { compileProgram, explain, record, rewind, runNative, TempSpace } from '../helpers/harness.js';
import { SLOW_TRAP_US } from '../../src/tracee/capabilities.js';

const space = new TempSpace('doctor');
after(() => space.cleanup());

interface Report { works: boolean; using: string; detail: string; forced?: boolean; costUs?: number }
const KEYS = ['rdtsc-trap', 'cpuid-fault', 'debug-registers', 'single-step', 'perf-context-switches'];

async function doctor(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, Report>> {
  const r = await rewind(['doctor', '--json'], { env });
  assert.equal(r.status, 0, explain(r));
  return JSON.parse(r.stdout.toString()) as Record<string, Report>;
}

const noForcing = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env['REWIND_SOFTWARE'];
  return env;
};

test('doctor --json names every capability with works and using', async () => {
  const d = await doctor(noForcing());
  for (const k of KEYS) {
    assert.equal(typeof d[k]?.works, 'boolean', k);
    assert.ok(typeof d[k]?.using === 'string' && d[k]!.using.length > 0, k);
    assert.ok(typeof d[k]?.detail === 'string' && d[k]!.detail.length > 0, k);
  }
  const text = await rewind(['doctor'], { env: noForcing() });
  assert.equal(text.status, 0, explain(text));
  for (const k of KEYS) assert.match(text.stdout.toString(), new RegExp(`^${k} +(works|MISSING) +using: `, 'm'));
});

test('doctor tells the truth about rdtsc and cpuid traps (an independent program checks)', async () => {
  const d = await doctor(noForcing());
  const check = await runNative(compileProgram('traps'));
  assert.equal(check.status, 0, explain(check));
  const out = check.stdout.toString();
  assert.equal(d['rdtsc-trap']!.works, /^rdtsc-trap yes$/m.test(out), `doctor: ${JSON.stringify(d['rdtsc-trap'])}\n${out}`);
  assert.equal(d['cpuid-fault']!.works, /^cpuid-fault yes$/m.test(out), `doctor: ${JSON.stringify(d['cpuid-fault'])}\n${out}`);
});

test('a recording patches exactly what doctor says does not trap; REWIND_SOFTWARE=all patches both', async () => {
  const d = await doctor(noForcing());
  const exe = compileProgram('rdtsc');
  const plain = await record(exe, [], { space, env: noForcing() });
  assert.equal(plain.status, 0, explain(plain));
  const meta = JSON.parse(fs.readFileSync(path.join(plain.traceDir, 'meta.json'), 'utf8')) as { patched: string[] };
  const patching = (k: string) => /patching/.test(d[k]!.using);
  assert.deepEqual(meta.patched, [...(patching('rdtsc-trap') ? ['rdtsc'] : []), ...(patching('cpuid-fault') ? ['cpuid'] : [])]);
  const forcedEnv = { ...process.env, REWIND_SOFTWARE: 'all' };
  const forced = await doctor(forcedEnv);
  assert.match(forced['rdtsc-trap']!.using, /patching/);
  assert.match(forced['cpuid-fault']!.using, /patching/);
  assert.match(forced['debug-registers']!.using, /page protection/);
  assert.equal(forced['rdtsc-trap']!.works, d['rdtsc-trap']!.works, 'forcing changes the path, not the finding');
  const soft = await record(exe, [], { space, env: forcedEnv });
  assert.equal(soft.status, 0, explain(soft));
  const softMeta = JSON.parse(fs.readFileSync(path.join(soft.traceDir, 'meta.json'), 'utf8')) as { patched: string[] };
  assert.deepEqual(softMeta.patched, ['rdtsc', 'cpuid']);
});

for (const k of ['rdtsc-trap', 'cpuid-fault']) {
  test(`${k}: what it adds to a ptrace stop is measured where it works, and it is left unused where that is too much`, async () => {
    const c = (await doctor(noForcing()))[k]!;
    if (!c.works) {
      assert.match(c.using, /patching/);
      return;
    }
    assert.equal(typeof c.costUs, 'number', JSON.stringify(c));
    assert.ok(c.costUs! >= 0, JSON.stringify(c));
    const slow = c.costUs! > SLOW_TRAP_US;
    assert.equal(/patching/.test(c.using), slow, JSON.stringify(c));
    if (slow) assert.match(c.using, /adds [0-9.]+ µs to every ptrace stop/);
  });
}

test('an unknown REWIND_SOFTWARE word is one line and exit 1', async () => {
  const r = await rewind(['doctor'], { env: { ...process.env, REWIND_SOFTWARE: 'tsc,warp' } });
  assert.equal(r.status, 1, explain(r));
  assert.equal(r.stderr.toString().trim().split('\n').length, 1, explain(r));
  assert.match(r.stderr.toString(), /REWIND_SOFTWARE: unknown path 'warp'/);
});

test('rewind syscalls lists the table; --json gives one row per call', async () => {
  const text = await rewind(['syscalls']);
  assert.equal(text.status, 0, explain(text));
  assert.match(text.stdout.toString(), /^ {2}0 {2}read +emulate/m);
  assert.match(text.stdout.toString(), /^ 59 {2}execve +execute/m);
  const json = await rewind(['syscalls', '--json']);
  assert.equal(json.status, 0, explain(json));
  const rows = JSON.parse(json.stdout.toString()) as { nr: number; name: string; kind: string }[];
  assert.equal(rows.find((r) => r.nr === 1)?.name, 'write');
  assert.ok(rows.length > 300);
});
