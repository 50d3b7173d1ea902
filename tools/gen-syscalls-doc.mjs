#!/usr/bin/env node
// Writes docs/SYSCALLS.md from the compiled syscall table (build first: npx tsc -p tsconfig.json).
// Run: node tools/gen-syscalls-doc.mjs. The text comes from src/kernel/syscalls/describe.ts; a test
// checks that the committed file matches it.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { syscallsMarkdown, syscallRows } = await import(pathToFileURL(join(root, 'dist/src/kernel/syscalls/describe.js')).href);
const out = join(root, 'docs', 'SYSCALLS.md');
writeFileSync(out, syscallsMarkdown());
console.log(`wrote ${out}: ${syscallRows().length} syscalls`);
