// The in-process CPUID's table (cpuid-table.ts): what it lists, asked of this CPU and of a made-up
// one, how a process holds it, and how meta.json keeps it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatCpuidEntry, parseCpuidEntry, type CpuidEntry } from '../trace/cpuid-entries.js';
import { TrappedInsn } from '../trace/events.js';
import { buildCpuidTable, cachedCpuidTable, cpuidTableBytes, MAX_CPUID_ENTRIES } from './cpuid-table.js';
import { executeInsn } from './insn.js';
import { pinTracer } from './spawn.js';

// Leaves 1, 0xB and 0x1F answer with the APIC id of the CPU that asks: every question from one CPU.
pinTracer(0);

test('this CPU\'s table: every entry is what a trapped cpuid answers, leaf 0 to its last', () => {
  const table = buildCpuidTable(false);
  assert.ok(table.length > 10 && table.length <= MAX_CPUID_ENTRIES, `${table.length} entries`);
  const last = Number(executeInsn(TrappedInsn.Cpuid, 0n, 0n)[0]!);
  for (let leaf = 0; leaf <= Math.min(last, 0x3f); leaf++) assert.ok(table.some((e) => e.leaf === leaf), `leaf 0x${leaf.toString(16)} missing`);
  for (const e of table) {
    for (const sub of e.sub === null ? [0, 1, 7] : [e.sub]) {
      assert.deepEqual(e.out, executeInsn(TrappedInsn.Cpuid, BigInt(e.leaf), BigInt(sub)).map(Number), `leaf 0x${e.leaf.toString(16)}.${sub}`);
    }
  }
  // XSAVE's components, those this CPU lacks too: ld.so asks for them.
  for (let sub = 0; sub < 32; sub++) assert.ok(table.some((e) => e.leaf === 0xd && e.sub === sub), `0xd.${sub}`);
  const portable = buildCpuidTable(true);
  const leaf7 = portable.find((e) => e.leaf === 7 && e.sub === 0);
  assert.deepEqual(leaf7?.out, executeInsn(TrappedInsn.Cpuid, 7n, 0n, true).map(Number), 'the portable table has the masked answers');
});

test('subleaves: listed leaves by their own end markers, any other leaf once unless its subleaf 1 differs', () => {
  const asked: string[] = [];
  const ask = (leaf: number, sub: number): [number, number, number, number] => {
    asked.push(`${leaf.toString(16)}.${sub}`);
    if (leaf === 0) return [0x0e, 0, 0, 0];
    if (leaf === 4) return [sub < 3 ? 0x21 : 0, 0, 0, 0]; // three caches, then type 0
    if (leaf === 0xb) return [0, 0, sub < 2 ? (sub + 1) << 8 : 0, 0]; // two levels
    if (leaf === 7) return [sub === 0 ? 2 : 0, 0x100 + sub, 0, 0]; // subleaves 0 to 2
    if (leaf === 9) return [sub, 0, 0, 0]; // differs by subleaf though not listed
    if (leaf === 0x80000000) return [0x80000002, 0, 0, 0];
    return [leaf, 0, 0, 0];
  };
  const table = buildCpuidTable(false, ask);
  const keys = table.map((e) => `${e.leaf.toString(16)}${e.sub === null ? '' : `.${e.sub}`}`);
  assert.deepEqual(keys.filter((k) => k.startsWith('4.')), ['4.0', '4.1', '4.2', '4.3']);
  assert.deepEqual(keys.filter((k) => k.startsWith('b.')), ['b.0', 'b.1', 'b.2']);
  assert.deepEqual(keys.filter((k) => k.startsWith('7.')), ['7.0', '7.1', '7.2']);
  assert.deepEqual(keys.filter((k) => k.startsWith('9')), ['9.0', '9.1', '9.2', '9.3']);
  assert.ok(keys.includes('1') && keys.includes('e') && !keys.includes('f'), keys.join(' '));
  assert.deepEqual(keys.filter((k) => k.startsWith('8000')), ['80000000', '80000001', '80000002']);
  assert.equal(keys.filter((k) => k.startsWith('d.')).length, 32);
});

test('a process holds it as a count and 32-byte entries; meta.json as one line each', () => {
  const entries: CpuidEntry[] = [
    { leaf: 0, sub: null, out: [0x1c, 0x756e6547, 0x6c65746e, 0x49656e69] },
    { leaf: 7, sub: 1, out: [0xffffffff, 0, 0x80000000, 1] },
  ];
  const b = cpuidTableBytes(entries);
  const dv = new DataView(b.buffer);
  assert.equal(b.length, 16 + 2 * 32);
  assert.equal(dv.getUint32(0, true), 2);
  assert.deepEqual([16, 20, 24, 28, 32, 36, 40].map((o) => dv.getUint32(o, true)), [0, 0, 0, 0x1c, 0x756e6547, 0x6c65746e, 0x49656e69]);
  assert.deepEqual([48, 52, 56, 60, 64, 68, 72].map((o) => dv.getUint32(o, true)), [7, 1, 1, 0xffffffff, 0, 0x80000000, 1]);
  const text = entries.map(formatCpuidEntry);
  assert.deepEqual(text, ['0 0000001c 756e6547 6c65746e 49656e69', '7.1 ffffffff 00000000 80000000 00000001']);
  assert.deepEqual(text.map(parseCpuidEntry), entries);
  for (const bad of ['', '7.1 ffffffff 0 80000000 00000001', 'x 00000000 00000000 00000000 00000000', '7. 00000000 00000000 00000000 00000000']) {
    assert.equal(parseCpuidEntry(bad), null, bad);
  }
});

test('a kept table whose leaf 1 is no longer this CPU\'s (a hypervisor\'s moving APIC id) is made again', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-cpuid-cache-'));
  const saved = process.env['XDG_CACHE_HOME'];
  process.env['XDG_CACHE_HOME'] = dir;
  try {
    const live = executeInsn(TrappedInsn.Cpuid, 1n, 0n).map(Number);
    const leafOne = (t: CpuidEntry[]): number[] | undefined => t.find((e) => e.leaf === 1)?.out;
    assert.deepEqual(leafOne(cachedCpuidTable(0, false)), live);
    const [name] = fs.readdirSync(path.join(dir, 'rewind')).filter((n) => n.startsWith('cpuid-'));
    assert.ok(name, 'the table was not kept');
    const file = path.join(dir, 'rewind', name);
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; table: string[] };
    const stale = { ...parseCpuidEntry(kept.table.find((l) => parseCpuidEntry(l)?.leaf === 1)!)! };
    stale.out = [stale.out[0], (stale.out[1] ^ 0x5a000000) >>> 0, stale.out[2], stale.out[3]];
    const tampered = kept.table.map((l) => (parseCpuidEntry(l)?.leaf === 1 ? formatCpuidEntry(stale) : l));
    fs.writeFileSync(file, JSON.stringify({ key: kept.key, table: tampered }));
    assert.deepEqual(leafOne(cachedCpuidTable(0, false)), live, 'the stale leaf 1 was served');
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), kept, 'the kept table was not made again');
  } finally {
    if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
