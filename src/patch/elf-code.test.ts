// elf-code: the one-function lookup (FunctionIndex, and the linear functionAround it replaced, over functionPairs) of the tables alone (readFunctionTables) agrees
// with the full list (functionRanges) of the whole file, on real binaries of this machine.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { FunctionIndex, functionPairs, functionRanges, functionsHolding, readFunctionTables, type Range } from './elf-code.js';

/** Real ELF files: the dynamic loader's libc (.dynsym), a stripped tool, node itself (a big .symtab). */
const FILES = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/bin/ls', process.execPath]
  .map((p) => fs.realpathSync(p))
  .filter((p) => fs.existsSync(p));

function tablesOf(path: string): Uint8Array | null {
  const fd = fs.openSync(path, 'r');
  try {
    return readFunctionTables(fs.fstatSync(fd).size, (buf, pos) => {
      assert.equal(fs.readSync(fd, buf, 0, buf.length, pos), buf.length);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** The linear passes FunctionIndex replaced (point-trap.ts used them before), kept as its reference. */
/**
 * The range functionRanges would list for the function holding file offset off: the shortest of those
 * holding it, the first by start among equally short ones; null when none does. `from` is the file or
 * its functionPairs.
 */
function functionAround(from: Uint8Array | Float64Array, off: number): Range | null {
  const pairs = from instanceof Float64Array ? from : functionPairs(from);
  let bestStart = -1;
  let bestEnd = -1;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const start = pairs[i]!;
    const end = pairs[i + 1]!;
    if (start > off || off >= end) continue;
    const len = end - start;
    if (bestStart < 0 || len < bestEnd - bestStart || (len === bestEnd - bestStart && start < bestStart)) {
      bestStart = start;
      bestEnd = end;
    }
  }
  return bestStart < 0 ? null : { start: bestStart, end: bestEnd };
}

/**
 * The padding around fn (a range of pairs) that no function holds: [before, fn.start) up to the end of
 * the function before it, and [fn.end, after) up to the start of the one after it. Only a gap of at
 * most `window` bytes between two listed functions counts (before = fn.start, after = fn.end
 * otherwise, and where another range covers fn's edge).
 */
function paddingAround(pairs: Float64Array, fn: Range, window: number): { before: number; after: number } {
  let prevEnd = -Infinity;
  let nextStart = Infinity;
  let coveredBefore = false;
  let coveredAfter = false;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const start = pairs[i]!;
    const end = pairs[i + 1]!;
    if (end <= fn.start) prevEnd = Math.max(prevEnd, end);
    if (start >= fn.end) nextStart = Math.min(nextStart, start);
    if (start < fn.start && end > fn.start) coveredBefore = true;
    if (start < fn.end && end > fn.end) coveredAfter = true;
  }
  return {
    before: !coveredBefore && fn.start - prevEnd <= window ? prevEnd : fn.start,
    after: !coveredAfter && nextStart - fn.end <= window ? nextStart : fn.end,
  };
}

/** What point-trap.ts chose before functionAround: the first shortest range holding off, in sorted order. */
function shortestHolding(ranges: Range[], off: number): Range | null {
  let best: Range | null = null;
  for (const r of ranges) {
    if (r.start > off) break;
    if (off < r.end && (!best || r.end - r.start < best.end - best.start)) best = r;
  }
  return best;
}

test('the real files are there', () => {
  assert.ok(FILES.length >= 2, `found ${FILES.join(', ')}`);
});

for (const path of FILES) {
  test(`tables alone give every function range of ${path}`, () => {
    const whole = fs.readFileSync(path);
    const tables = tablesOf(path);
    assert.ok(tables, 'the file has section headers and .eh_frame');
    assert.equal(tables.length, whole.length);
    const full = functionRanges(whole);
    assert.ok(full.length > 100, `${full.length} ranges`);
    assert.deepEqual(functionRanges(tables), full);
  });

  test(`functionAround picks the range the sorted list does, ${path}`, () => {
    const whole = fs.readFileSync(path);
    const tables = tablesOf(path)!;
    const full = functionRanges(whole);
    const pairs = functionPairs(tables);
    const offsets: number[] = [];
    const step = Math.max(1, Math.floor(full.length / 100));
    for (let i = 0; i < full.length; i += step) {
      const r = full[i]!;
      offsets.push(r.start, r.end - 1, (r.start + r.end) >> 1, r.end);
    }
    offsets.push(0, whole.length - 1);
    let held = 0;
    for (const off of offsets) {
      const want = shortestHolding(full, off);
      assert.deepEqual(functionAround(pairs, off), want, `offset 0x${off.toString(16)}`);
      if (want) held++;
    }
    assert.ok(held > offsets.length / 2, `${held} of ${offsets.length} offsets inside a function`);
    assert.deepEqual(functionAround(tables, offsets[2]!), shortestHolding(full, offsets[2]!), 'from the file itself');
  });

  test(`FunctionIndex answers as functionAround and paddingAround do, ${path}`, () => {
    const pairs = functionPairs(tablesOf(path)!);
    const index = new FunctionIndex(FunctionIndex.sort(pairs));
    const n = pairs.length / 2;
    const step = Math.max(1, Math.floor(n / 300));
    let held = 0;
    for (let i = 0; i < n; i += step) {
      const [s, e] = [pairs[2 * i]!, pairs[2 * i + 1]!];
      for (const off of [s - 1, s, (s + e) >> 1, e - 1, e, e + 7]) {
        const want = functionAround(pairs, off);
        assert.deepEqual(index.around(off), want, `offset 0x${off.toString(16)}`);
        if (!want) continue;
        held++;
        for (const window of [0, 16, 64]) assert.deepEqual(index.padding(want, window), paddingAround(pairs, want, window), `padding of 0x${want.start.toString(16)}, ${window}`);
      }
    }
    assert.ok(held > 300, `${held} offsets inside a function`);
  });
}

test('FunctionIndex on nested, overlapping and equal ranges answers as the linear scans do', () => {
  let x = 12345;
  const rand = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % m;
  };
  for (let round = 0; round < 20; round++) {
    const list: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = rand(4000);
      const len = 1 + (rand(10) === 0 ? rand(1500) : rand(60));
      list.push(start, start + len);
      if (rand(8) === 0) list.push(start, start + len); // the same range twice
    }
    const pairs = Float64Array.from(list);
    const index = new FunctionIndex(FunctionIndex.sort(pairs));
    for (let off = -2; off < 5600; off += 3) {
      const want = functionAround(pairs, off);
      assert.deepEqual(index.around(off), want, `round ${round}, offset ${off}`);
      if (want) for (const window of [0, 5, 40]) assert.deepEqual(index.padding(want, window), paddingAround(pairs, want, window), `round ${round}, padding at ${off}, ${window}`);
    }
  }
});

test('not ELF, or no section headers: no tables (the caller reads the whole file)', () => {
  const text = new TextEncoder().encode('#!/bin/sh\necho hello\n'.repeat(10));
  assert.equal(readFunctionTables(text.length, (buf, pos) => buf.set(text.subarray(pos, pos + buf.length))), null);
  const whole = fs.readFileSync(FILES[0]!);
  const noSections = Uint8Array.from(whole);
  new DataView(noSections.buffer).setBigUint64(0x28, 0n, true); // e_shoff = 0
  assert.equal(readFunctionTables(noSections.length, (buf, pos) => buf.set(noSections.subarray(pos, pos + buf.length))), null);
  assert.equal(functionAround(text, 0), null);
});

test('functionsHolding finds every function holding an offset, as a scan of all of them does (overlapping ranges too)', () => {
  const brute = (fns: readonly Range[], offsets: readonly number[]) => {
    const out = new Set<Range>();
    for (const at of offsets) for (const f of fns) if (f.start <= at && at < f.end) out.add(f);
    return out;
  };
  const nested: Range[] = [{ start: 0, end: 100 }, { start: 10, end: 20 }, { start: 15, end: 16 }, { start: 30, end: 40 }, { start: 90, end: 200 }, { start: 150, end: 151 }];
  const offsets = [0, 9, 10, 15, 16, 25, 39, 40, 95, 100, 150, 199, 200, 500];
  assert.deepEqual(functionsHolding(nested, offsets), brute(nested, offsets));
  const libc = fs.readFileSync('/usr/lib/x86_64-linux-gnu/libc.so.6');
  const fns = functionRanges(libc);
  const some: number[] = [];
  for (let at = 0; at < libc.length; at += 7919) some.push(at);
  const found = functionsHolding(fns, some);
  assert.deepEqual(found, brute(fns, some));
  assert.ok(found.size > 50, `${found.size} functions hold the offsets`);
});
