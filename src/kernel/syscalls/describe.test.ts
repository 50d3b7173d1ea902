import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../native/package-root.js';
import { syscallRows, syscallsMarkdown } from './describe.js';

test('docs/SYSCALLS.md is what the table generates (run node tools/gen-syscalls-doc.mjs after changing the table)', () => {
  const committed = readFileSync(join(packageRoot, 'docs', 'SYSCALLS.md'), 'utf8');
  assert.equal(committed, syscallsMarkdown());
});

test('rows: one per known syscall, in number order, each with a kind and a family', () => {
  const rows = syscallRows();
  assert.ok(rows.length > 300);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.nr > rows[i - 1]!.nr);
  for (const r of rows) assert.ok(r.family !== '' && ['emulate', 'execute', 'enosys', 'unsupported'].includes(r.kind), r.name);
  assert.deepEqual(rows.find((r) => r.name === 'read')?.kind, 'emulate');
});
