// CLI: `rewind info [--json] [TRACE]`: what was recorded, where, when, and how big the trace is.
import { signalName } from '../kernel/signals.js';
import { TraceReader } from '../trace/trace-reader.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';

export function infoCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['--json'] });
  const dir = resolveTrace(operands[0]);
  const reader = TraceReader.open(dir);
  const m = reader.meta;
  let events = m.end?.events;
  let complete = m.end !== null;
  if (events === undefined) {
    events = 0;
    for (const _ of reader.events()) events++;
    complete = reader.endState === 'complete';
  }
  const status = m.end === null ? null
    : m.end.exitSignal !== null ? `killed by ${signalName(m.end.exitSignal)}` : `exit ${m.end.exitCode}`;
  const info = {
    trace: dir, formatVersion: m.version, command: m.command, exe: m.exe, cwd: m.cwd,
    startTime: m.startTime, durationMs: m.end?.durationMs ?? null, events, complete,
    status, sizeBytes: reader.sizeBytes(), hostname: m.hostname, kernel: m.kernel, rewindVersion: m.rewindVersion,
  };
  if (options.has('--json')) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const rows: [string, string][] = [
    ['trace', dir],
    ['command', m.command.map((a) => (/^[\w./=:,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')],
    ['executable', m.exe],
    ['cwd', m.cwd],
    ['started', m.startTime],
    ['duration', info.durationMs === null ? 'unknown' : `${info.durationMs} ms`],
    ['events', `${events}${complete ? '' : ' (recording interrupted)'}`],
    ['status', status ?? 'unknown'],
    ['size', `${info.sizeBytes} bytes`],
    ['format version', String(m.version)],
    ['recorded on', `${m.hostname}, Linux ${m.kernel}, rewind ${m.rewindVersion}`],
  ];
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(15)}${v}\n`).join(''));
  return 0;
}
