// CLI: `rewind doctor [--json]`: what this machine's hardware traps really do (proved by the probes in
// native/probe.c) and which path rewind takes for each, hardware or software.
import { CAPABILITIES, capabilityReport, forcedSoftware } from '../tracee/capabilities.js';
import { parseArgs } from './args.js';
import { UsageError } from './usage-error.js';

export function doctorCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['--json'] });
  if (operands.length > 0) throw new UsageError(`doctor takes no operands (got ${operands[0]})`);
  let report;
  try {
    forcedSoftware();
    report = capabilityReport();
  } catch (e) {
    throw new UsageError((e as Error).message, 1);
  }
  if (options.has('--json')) {
    const out: Record<string, { works: boolean; using: string; detail: string; forced?: boolean }> = {};
    for (const c of CAPABILITIES) out[c] = report[c];
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const width = Math.max(...CAPABILITIES.map((c) => c.length));
  for (const c of CAPABILITIES) {
    const r = report[c];
    const state = r.works ? 'works' : 'MISSING';
    process.stdout.write(`${c.padEnd(width)}  ${state.padEnd(7)}  using: ${r.using}${r.forced ? ' (forced by REWIND_SOFTWARE)' : ''}\n`);
    process.stdout.write(`${''.padEnd(width)}           ${r.detail}\n`);
  }
  return 0;
}
