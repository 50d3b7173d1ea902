// The recording machine's facts and the CPU feature check replay warns with: real /proc/cpuinfo data,
// and synthetic recorded feature sets around it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { missingCpuFeatures, parseCpuinfo, thisMachine } from './machine.js';

const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
const here = parseCpuinfo(cpuinfo);

test('parseCpuinfo reads the first processor of this machine', () => {
  assert.equal(here.vendor, /^vendor_id\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim());
  assert.notEqual(here.vendor, '');
  assert.ok(here.flags.includes('fpu') && here.flags.includes('sse2'), `an x86-64 CPU has fpu and sse2: ${here.flags.join(' ')}`);
  const family = /^cpu family\s*:\s*(\d+)$/m.exec(cpuinfo)?.[1];
  assert.equal(here.family, family === undefined ? null : Number(family));
  const model = /^model\s*:\s*(\d+)$/m.exec(cpuinfo)?.[1];
  assert.equal(here.model, model === undefined ? null : Number(model));
  assert.equal(here.name, /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? '');
});

test('parseCpuinfo of a synthetic two-processor text takes the first, and of nothing gives empty facts', () => {
  const text = 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Xeon\n' +
    'stepping\t: 7\nflags\t\t: fpu sse2 avx avx2 avx512f\n\nprocessor\t: 1\nvendor_id\t: Other\nflags\t\t: fpu\n';
  assert.deepEqual(parseCpuinfo(text), {
    vendor: 'GenuineIntel', name: 'Xeon', family: 6, model: 85, stepping: 7, flags: ['fpu', 'sse2', 'avx', 'avx2', 'avx512f'],
  });
  assert.deepEqual(parseCpuinfo(''), { vendor: '', name: '', family: null, model: null, stepping: null, flags: [] });
});

test('thisMachine: the CPU of /proc/cpuinfo, the kernel release of uname, glibc as ldd reports it', () => {
  const m = thisMachine();
  assert.deepEqual(m.cpu, here);
  assert.equal(m.kernelRelease, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  const ldd = /(\d+\.\d+)\s*$/m.exec(execFileSync('ldd', ['--version'], { encoding: 'utf8' }).split('\n')[0]!)?.[1];
  assert.ok(ldd, 'ldd --version names a version');
  assert.match(m.libc ?? '', new RegExp(`^glibc ${ldd.replace('.', '\\.')}\\b`));
});

test('missingCpuFeatures: nothing when the recording machine is this one or had less', () => {
  assert.deepEqual(missingCpuFeatures(here.flags, here.flags), []);
  assert.deepEqual(missingCpuFeatures(['fpu', 'sse2'], here.flags), []);
  assert.deepEqual(missingCpuFeatures([], here.flags), []);
});

test('missingCpuFeatures: the features that matter which the recording had and this CPU lacks, and only those', () => {
  const candidates = ['avx', 'avx2', 'avx512f', 'avx512bw', 'avx512_vnni', 'sha_ni', 'amx_tile', 'aes', 'fma', 'bmi2', 'vaes', 'gfni'];
  const absent = candidates.filter((f) => !here.flags.includes(f));
  const present = candidates.filter((f) => here.flags.includes(f));
  assert.ok(absent.length > 0, 'some of the candidate features are absent here (amx_tile at least on most CPUs)');
  // Recorded: this CPU's flags, plus the absent candidates, plus features that do not change what code runs.
  const recorded = [...here.flags, ...absent, 'hypervisor_x', 'constant_tsc', 'ht', 'nonstop_tsc', 'cpuid_fault'];
  const got = missingCpuFeatures(recorded, here.flags);
  assert.deepEqual(got, [...absent].sort());
  for (const f of present) assert.ok(!got.includes(f), `${f} is present here`);
  // This CPU's features that matter, seen from a machine without them.
  const bare = here.flags.filter((f) => !present.includes(f));
  assert.deepEqual(missingCpuFeatures(here.flags, bare), [...present].sort());
});

test('missingCpuFeatures of a portable recording: only the x86-64-v3 baseline\'s features count', () => {
  const recorded = ['avx2', 'bmi2', 'fma', 'avx512f', 'sha_ni', 'amx_tile', 'avx'];
  assert.deepEqual(missingCpuFeatures(recorded, ['fpu', 'sse2'], true), ['avx', 'avx2', 'bmi2', 'fma']);
  assert.deepEqual(missingCpuFeatures(recorded, ['fpu', 'sse2']), ['amx_tile', 'avx', 'avx2', 'avx512f', 'bmi2', 'fma', 'sha_ni']);
  assert.deepEqual(missingCpuFeatures(recorded, [...recorded, 'fpu'], true), []);
});
