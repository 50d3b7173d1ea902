// Tests for elf-soname.ts on objects gcc builds here, on the host's libc, and on damaged input.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { elfSoname } from './elf-soname.js';

const dir = mkdtempSync(join(tmpdir(), 'rewind-elf-soname-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(name: string, args: string[]): Uint8Array {
  const src = join(dir, `${name}.c`);
  writeFileSync(src, 'int f(void) { return 1; }\nint main(void) { return f(); }\n');
  execFileSync('gcc', ['-o', join(dir, name), src, ...args], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(join(dir, name)));
}

const reader = (bytes: Uint8Array) => (offset: number, length: number) => bytes.slice(offset, offset + length);

test('the SONAME of a shared object; none for an executable or a library without one', () => {
  assert.equal(elfSoname(reader(build('libsoname.so.7.1.2', ['-shared', '-fPIC', '-Wl,-soname,libsoname.so.7']))), 'libsoname.so.7');
  assert.equal(elfSoname(reader(build('plain.so', ['-shared', '-fPIC']))), null);
  assert.equal(elfSoname(reader(build('prog', []))), null);
  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  if (existsSync(libc)) assert.equal(elfSoname(reader(new Uint8Array(readFileSync(libc)))), 'libc.so.6');
});

test('damaged or foreign input gives null, never a throw or a huge read', () => {
  const good = build('libgood.so', ['-shared', '-fPIC', '-Wl,-soname,libgood.so.1']);
  const asked: number[] = [];
  const counting = (bytes: Uint8Array) => (offset: number, length: number) => {
    asked.push(length);
    return bytes.slice(offset, offset + length);
  };
  const cases: Uint8Array[] = [new Uint8Array(0), new TextEncoder().encode('#!/bin/sh\n'), good.slice(0, 40), good.slice(0, 200)];
  for (let i = 0; i < 200; i++) {
    const damaged = good.slice();
    for (let k = 0; k < 4; k++) damaged[(i * 7919 + k * 104729) % 64 + (k % 2) * ((i * 31) % damaged.length)] = (i * 13 + k) & 0xff;
    cases.push(damaged);
  }
  const wide = good.slice();
  new DataView(wide.buffer).setUint16(0x38, 0xffff, true); // e_phnum
  cases.push(wide);
  for (const bytes of cases) {
    const name = elfSoname(counting(bytes));
    assert.ok(name === null || typeof name === 'string');
  }
  assert.ok(Math.max(...asked) <= 65536, `largest read ${Math.max(...asked)}`);
  assert.equal(elfSoname(reader(wide)), null);
});
