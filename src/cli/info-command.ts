// CLI: `rewind info [--json] [TRACE]`: what was recorded, where, when, and how big the trace is.
import { signalName } from '../kernel/signals.js';
import { filesState } from '../trace/pack.js';
import { TraceReader } from '../trace/trace-reader.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';

/** The first trace format version whose exec events carry the image replay builds (src/syscalls/exec-image.ts). */
const EXEC_IMAGE_VERSION = 5;

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
  const files = filesState(dir);
  const info = {
    trace: dir, formatVersion: m.version, command: m.command, exe: m.exe, cwd: m.cwd,
    startTime: m.startTime, durationMs: m.end?.durationMs ?? null, events, complete,
    status, sizeBytes: reader.sizeBytes(), hostname: m.hostname, kernel: m.kernel, rewindVersion: m.rewindVersion,
    execsBuilt: m.version >= EXEC_IMAGE_VERSION,
    packed: files.packed, files: { copies: files.copies, sharedWithSystem: files.shared, bytes: files.bytes, diskBytes: files.diskBytes, hashed: files.indexed },
    machine: m.machine ?? null, syscallBuffer: m.syscallBuffer === true,
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
    ['syscall buffer', m.syscallBuffer ? 'yes (calls that cannot block ran in the program; dump marks them [buffered])'
      : 'no (every call traced: recorded with --no-syscall-buffer, or by a rewind without the buffer)'],
    ['recorded on', `${m.hostname}, Linux ${m.kernel}, rewind ${m.rewindVersion}`],
    ['files', `${files.copies} copies, ${files.bytes} bytes (${files.diskBytes} on disk)${files.indexed ? ', sizes and SHA-256 in files.index' : ', no hashes (older trace)'}`],
    ['packed', files.packed ? 'yes (self-contained: no copy is shared with a file outside the trace)'
      : `no: ${files.shared} of the copies are hard links to system files (rewind pack makes them private)`],
    ['execs', info.execsBuilt ? 'built at replay from the trace\'s copies (no file of the replaying machine is loaded)'
      : 'replayed by a real exec of the trace\'s copy (older trace: needs the recorded dynamic loader on the replaying machine)'],
  ];
  const mc = m.machine;
  if (mc) {
    const id = [mc.cpu.family, mc.cpu.model, mc.cpu.stepping].map((n) => (n === null ? '?' : String(n)));
    rows.push(
      ['cpu', `${mc.cpu.name || 'unknown'} (${mc.cpu.vendor || 'unknown vendor'}, family ${id[0]} model ${id[1]} stepping ${id[2]})`],
      ['cpu features', mc.cpu.flags.join(' ')],
      ['kernel', `${mc.kernelRelease} ${mc.kernelVersion}`],
      ['libc', mc.libc ?? 'unknown'],
    );
  } else {
    rows.push(['machine', 'not recorded (older trace)']);
  }
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(15)}${v}\n`).join(''));
  return 0;
}
