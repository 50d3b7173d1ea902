// CLI: `rewind dump [--json] [TRACE]`: one line per event.
import { describeBufferedCalls, describeEvent } from '../trace/describe-event.js';
import { decodeRecords } from '../syscallbuf/records.js';
import type { TraceEvent } from '../trace/events.js';
import { TraceReader } from '../trace/trace-reader.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';

/** An event as plain JSON: bigints as hex strings, byte arrays as their length. */
export function eventToJson(ev: TraceEvent): unknown {
  return JSON.parse(JSON.stringify(ev, (_k, v: unknown) => {
    if (typeof v === 'bigint') return '0x' + BigInt.asUintN(64, v).toString(16);
    if (v instanceof BigUint64Array) return Array.from(v, (x) => '0x' + x.toString(16));
    if (v instanceof Uint8Array) return { bytes: v.length };
    return v;
  }));
}

export function dumpCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['--json'] });
  const reader = TraceReader.open(resolveTrace(operands[0]));
  const json = options.has('--json');
  let i = 0;
  const lines: string[] = [];
  const flush = () => { process.stdout.write(lines.join('')); lines.length = 0; };
  for (const ev of reader.events()) {
    if (json) {
      const calls = ev.kind === 'buffered' ? { calls: eventToJson(safeRecords(ev.records, ev.count) as never) } : {};
      lines.push(JSON.stringify({ index: i, ...(eventToJson(ev) as object), ...calls }) + '\n');
    } else {
      lines.push(`${i}: ${describeEvent(ev)}\n`);
      // Calls the program made inside its syscall buffer, one line each, marked as buffered.
      if (ev.kind === 'buffered') for (const l of describeBufferedCalls(ev)) lines.push(l + '\n');
    }
    i++;
    if (lines.length >= 512) flush();
  }
  flush();
  if (reader.endState === 'truncated') {
    process.stderr.write(`rewind: the trace ends early after ${i} events (the recording was interrupted)\n`);
    return 125;
  }
  return 0;
}

function safeRecords(records: Uint8Array, count: number): unknown {
  try {
    return decodeRecords(records, count);
  } catch (e) {
    return { error: (e as Error).message };
  }
}
