// gdb layer: the XML target description served by qXfer:features:read (gdb manual, "Target
// Descriptions" and "i386 Features"): target.xml names the architecture and xi:includes one
// document per feature of register-layout.ts. Imports nothing from rewind outside src/gdb.

import { registerLayout, type FeatureDef, type RegisterLayout } from './register-layout.js';
import type { RegisterSet } from './target.js';

const flags = (id: string, size: number, fields: readonly [string, number][]) =>
  [
    `  <flags id="${id}" size="${size}">`,
    ...fields.map(([name, bit]) => `    <field name="${name}" start="${bit}" end="${bit}"/>`),
    '  </flags>',
  ].join('\n');

/** EFLAGS bits (Intel SDM vol. 1, 3.4.3); bit 1 is reserved and always set. */
const EFLAGS_TYPE = flags('i386_eflags', 4, [
  ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10],
  ['OF', 11], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
]);

/** MXCSR bits (Intel SDM vol. 1, 10.2.3). */
const MXCSR_TYPE = flags('i386_mxcsr', 4, [
  ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7], ['DM', 8],
  ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
]);

/** The 128-bit view gdb shows for xmm registers: one field per lane interpretation. */
const VEC128_TYPES = [
  '  <vector id="v4f" type="ieee_single" count="4"/>',
  '  <vector id="v2d" type="ieee_double" count="2"/>',
  '  <vector id="v16i8" type="int8" count="16"/>',
  '  <vector id="v8i16" type="int16" count="8"/>',
  '  <vector id="v4i32" type="int32" count="4"/>',
  '  <vector id="v2i64" type="int64" count="2"/>',
  '  <union id="vec128">',
  '    <field name="v4_float" type="v4f"/>',
  '    <field name="v2_double" type="v2d"/>',
  '    <field name="v16_int8" type="v16i8"/>',
  '    <field name="v8_int16" type="v8i16"/>',
  '    <field name="v4_int32" type="v4i32"/>',
  '    <field name="v2_int64" type="v2i64"/>',
  '    <field name="uint128" type="uint128"/>',
  '  </union>',
].join('\n');

/** Types a feature document declares before its registers, keyed by annex. */
const FEATURE_TYPES: Record<string, string> = {
  '64bit-core.xml': EFLAGS_TYPE,
  '64bit-sse.xml': `${VEC128_TYPES}\n${MXCSR_TYPE}`,
  '64bit-avx512.xml': `${VEC128_TYPES}\n  <vector id="v2ui128" type="uint128" count="2"/>`,
};

function featureDocument(layout: RegisterLayout, feature: FeatureDef): string {
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE feature SYSTEM "gdb-target.dtd">',
    `<feature name="${feature.name}">`,
  ];
  const types = FEATURE_TYPES[feature.file];
  if (types !== undefined) lines.push(types);
  for (const def of feature.registers) {
    const reg = layout.byName.get(def.name)!;
    const group = reg.group === undefined ? '' : ` group="${reg.group}"`;
    lines.push(`  <reg name="${reg.name}" bitsize="${reg.bitsize}" type="${reg.type}" regnum="${reg.regnum}"${group}/>`);
  }
  lines.push('</feature>', '');
  return lines.join('\n');
}

function targetDocument(layout: RegisterLayout): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>i386:x86-64</architecture>',
    '  <osabi>GNU/Linux</osabi>',
    ...layout.features.map((f) => `  <xi:include href="${f.file}"/>`),
    '</target>',
    '',
  ].join('\n');
}

const cache = new Map<RegisterSet, ReadonlyMap<string, string>>();

/** All documents of the description for `set`, keyed by annex (target.xml and feature files). */
export function targetDescription(set: RegisterSet = 'sse'): ReadonlyMap<string, string> {
  let docs = cache.get(set);
  if (docs === undefined) {
    const layout = registerLayout(set);
    const map = new Map<string, string>([['target.xml', targetDocument(layout)]]);
    for (const feature of layout.features) map.set(feature.file, featureDocument(layout, feature));
    docs = map;
    cache.set(set, docs);
  }
  return docs;
}
