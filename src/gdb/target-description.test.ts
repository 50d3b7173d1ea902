// Tests for register-layout.ts and target-description.ts: gdb's register numbers and g-packet
// offsets (written out by hand from the feature order), and the XML documents.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRegisterFile, registerLayout, registerValue } from './register-layout.js';
import { targetDescription } from './target-description.js';

test('register numbers and offsets follow gdb amd64-linux numbering', () => {
  const l = registerLayout('sse');
  const at = (name: string) => {
    const r = l.byName.get(name)!;
    return [r.regnum, r.offset, r.size];
  };
  assert.deepEqual(at('rax'), [0, 0, 8]);
  assert.deepEqual(at('rsp'), [7, 56, 8]);
  assert.deepEqual(at('rip'), [16, 128, 8]);
  assert.deepEqual(at('eflags'), [17, 136, 4]);
  assert.deepEqual(at('gs'), [23, 160, 4]);
  assert.deepEqual(at('st0'), [24, 164, 10]);
  assert.deepEqual(at('fctrl'), [32, 244, 4]);
  assert.deepEqual(at('fop'), [39, 272, 4]);
  assert.deepEqual(at('xmm0'), [40, 276, 16]);
  assert.deepEqual(at('mxcsr'), [56, 532, 4]);
  assert.deepEqual(at('orig_rax'), [57, 536, 8]);
  assert.deepEqual(at('fs_base'), [58, 544, 8]);
  assert.deepEqual(at('gs_base'), [59, 552, 8]);
  assert.equal(l.size, 560);
  assert.equal(registerLayout('avx').byName.get('ymm0h')!.regnum, 60);
  assert.equal(registerLayout('avx').size, 560 + 256);
  const z = registerLayout('avx512');
  assert.deepEqual([z.byName.get('xmm16')!.regnum, z.byName.get('k0')!.regnum, z.byName.get('zmm31h')!.regnum], [76, 108, 147]);
  assert.equal(z.size, 816 + 256 + 256 + 64 + 1024);
});

test('encodeRegisterFile places values little-endian', () => {
  const l = registerLayout('sse');
  const file = encodeRegisterFile(l, { rip: 0x401000n, eflags: 0x246n });
  assert.deepEqual([...file.subarray(128, 140)], [0x00, 0x10, 0x40, 0, 0, 0, 0, 0, 0x46, 0x02, 0, 0]);
  assert.equal(registerValue(l, file, 'rip'), 0x401000n);
  assert.throws(() => encodeRegisterFile(l, { ymm0h: 1n }), /no register ymm0h/);
  assert.throws(() => encodeRegisterFile(l, { rax: new Uint8Array(4) }), /takes 8 bytes/);
});

test('target.xml includes one document per feature, each registered', () => {
  for (const set of ['sse', 'avx', 'avx512'] as const) {
    const docs = targetDescription(set);
    const target = docs.get('target.xml')!;
    assert.match(target, /<architecture>i386:x86-64<\/architecture>/);
    assert.match(target, /<osabi>GNU\/Linux<\/osabi>/);
    const includes = [...target.matchAll(/<xi:include href="([^"]+)"\/>/g)].map((m) => m[1]!);
    assert.deepEqual(includes, registerLayout(set).features.map((f) => f.file));
    for (const file of includes) {
      const doc = docs.get(file);
      assert.ok(doc, file);
      assert.match(doc, /^<\?xml version="1.0"\?>\n<!DOCTYPE feature SYSTEM "gdb-target.dtd">\n<feature name="org\.gnu\.gdb\.i386\.[a-z0-9]+">/);
      assert.equal((doc.match(/<feature /g) ?? []).length, (doc.match(/<\/feature>/g) ?? []).length);
    }
    const regCount = includes.reduce((n, f) => n + (docs.get(f)!.match(/<reg /g) ?? []).length, 0);
    assert.equal(regCount, registerLayout(set).registers.length);
  }
  assert.match(targetDescription('sse').get('64bit-core.xml')!, /<reg name="rip" bitsize="64" type="code_ptr" regnum="16"\/>/);
  assert.match(targetDescription('avx').get('64bit-avx.xml')!, /<feature name="org\.gnu\.gdb\.i386\.avx">/);
});
