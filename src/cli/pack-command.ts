// CLI: `rewind pack [TRACE]`: make a trace self-contained (private copies of every file, identical ones
// stored once), so it can be tarred and replayed in another directory or on another machine.
import { packTrace } from '../trace/pack.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';
import { UsageError } from './usage-error.js';

export function packCommand(args: string[]): number {
  const { operands } = parseArgs(args, {});
  if (operands.length > 1) throw new UsageError('pack: more than one trace given');
  const dir = resolveTrace(operands[0]);
  const r = packTrace(dir);
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  if (r.unchanged) {
    process.stderr.write(`rewind: ${dir} is already packed (${r.copies} files, ${mib(r.bytesAfter)}, ${mib(r.diskBytesAfter)} on disk)\n`);
    return 0;
  }
  process.stderr.write(
    `rewind: packed ${dir}: ${r.copies} files, ${r.madePrivate} made private (${mib(r.bytesCopied)} copied), ` +
    `${r.deduplicated} stored once with an identical copy${r.indexCreated ? ', files.index created' : ''}; ` +
    `files/ now holds ${mib(r.bytesAfter)} (${mib(r.diskBytesAfter)} on disk)\n`,
  );
  return 0;
}
