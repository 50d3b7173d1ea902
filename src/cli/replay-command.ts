// CLI: `rewind replay [-a] [-v] [-s PORT [--host HOST]] [-g EVENT] [-p PID] [TRACE]`.
// -a replays to the end on its own; otherwise the replay is served to gdb (-s: only served, for a
// debugger started by hand; default: gdb is started and connected to it, as rr replay does).
import { Replayer } from '../replay/replayer.js';
import { DivergenceError, TraceEndedEarly } from '../replay/divergence.js';
import { missingCpuFeatures, thisCpu } from '../trace/machine.js';
import type { TraceMeta } from '../trace/meta.js';
import { TraceReader } from '../trace/trace-reader.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { otherCpu, secondCpuFree } from '../tracee/spawn.js';
import { parseArgs } from './args.js';
import { REPLAY_FAILED } from './replay-status.js';
import { resolveTrace } from './trace-dirs.js';
import { checkpoint } from './timing.js';
import { UsageError } from './usage-error.js';

export async function replayCommand(args: string[]): Promise<number> {
  checkpoint('replay: modules loaded');
  const { options, operands } = parseArgs(args, {
    flags: ['-a', '--autopilot', '-v', '--verbose'],
    withValue: ['-s', '--port', '--host', '-g', '--goto', '-p', '--pid'],
  });
  const verbose = options.has('-v') || options.has('--verbose');
  if (operands.length > 1) throw new UsageError('replay: more than one trace given');
  const port = numberOption(options.get('-s') ?? options.get('--port'), 'port', 0, 65535);
  const host = options.get('--host');
  const goto = numberOption(options.get('-g') ?? options.get('--goto'), 'event', 0, Number.MAX_SAFE_INTEGER);
  const pid = numberOption(options.get('-p') ?? options.get('--pid'), 'pid', 1, 0x7fffffff);
  const autopilot = options.has('-a') || options.has('--autopilot');
  if (autopilot && (port !== undefined || goto !== undefined || pid !== undefined || host !== undefined)) {
    throw new UsageError('replay: -a replays to the end; -s, --host, -g and -p are for debugging');
  }
  if (host !== undefined && port === undefined) throw new UsageError('replay: --host needs -s PORT');
  const reader = TraceReader.open(resolveTrace(operands[0]));
  warnMissingCpuFeatures(reader.meta);
  checkpoint('replay: trace opened');
  try {
    if (autopilot) {
      // The events are inflated ahead on the CPU the replay leaves free (REWIND_READ_AHEAD=0: never,
      // =1: whatever the load). Not under a debugger, whose runs go back and forth from restore
      // points: the thread would mostly be sent elsewhere.
      if (secondCpuFree('REWIND_READ_AHEAD')) reader.readAhead(otherCpu);
      const outcome = new Replayer(reader, { echo: true }).run();
      return outcome.exitSignal !== null ? 128 + outcome.exitSignal : outcome.exitCode ?? 0;
    }
    // The debugger's half (gdb server, timeline, checkpoints) is loaded only when it is used.
    const { debug } = await import('./replay-debug.js');
    return await debug(reader, { port, host: typeof host === 'string' ? host : undefined, goto, pid });
  } catch (e) {
    if (e instanceof DivergenceError) {
      // One line by default; -v adds the events that led there.
      const more = verbose ? e.details.map((d) => d + '\n').join('') : '';
      process.stderr.write(`rewind: ${e.message}${verbose ? '' : ' (replay -v shows the events before it)'}\n${more}`);
      return REPLAY_FAILED;
    }
    if (e instanceof TraceEndedEarly || e instanceof UnsupportedError || e instanceof TraceeError) {
      throw new UsageError(e.message, REPLAY_FAILED);
    }
    throw e;
  }
}

/** One line on stderr, before anything runs, when this CPU lacks features the recording machine had. */
export function warnMissingCpuFeatures(meta: TraceMeta): void {
  if (!meta.machine) return;
  const missing = missingCpuFeatures(meta.machine.cpu.flags, thisCpu().flags, meta.cpuFeatures === 'portable');
  if (missing.length === 0) return;
  process.stderr.write(
    `rewind: warning: this CPU lacks ${missing.join(', ')}, which the recording machine had ` +
    `(${meta.machine.cpu.name || meta.machine.cpu.vendor || 'unknown CPU'}): the replay may diverge where the program used them\n`,
  );
}

function numberOption(v: string | true | undefined, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`replay: bad ${what} ${String(v)}`);
  return n;
}

