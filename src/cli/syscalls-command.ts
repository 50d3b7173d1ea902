// CLI: `rewind syscalls [--json]`: every system call rewind knows and how it handles it (the table in
// src/kernel/syscalls, as docs/SYSCALLS.md shows it).
import { syscallRows } from '../kernel/syscalls/describe.js';
import { parseArgs } from './args.js';
import { UsageError } from './usage-error.js';

export function syscallsCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['--json'] });
  if (operands.length > 0) throw new UsageError(`syscalls takes no operands (got ${operands[0]})`);
  const rows = syscallRows();
  if (options.has('--json')) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const extra = [r.blocks ? 'blocks' : '', r.note].filter(Boolean).join('; ');
    process.stdout.write(`${String(r.nr).padStart(3)}  ${r.name.padEnd(w)}  ${r.kind.padEnd(11)}  ${extra}\n`);
  }
  return 0;
}
