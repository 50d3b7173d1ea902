// CLI: `rewind replay [-a] [TRACE]`.
import { Replayer } from '../replay/replayer.js';
import { DivergenceError, TraceEndedEarly } from '../replay/divergence.js';
import { TraceReader } from '../trace/trace-reader.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';
import { UsageError } from './usage-error.js';

/** Exit status for a replay that could not be completed. */
export const REPLAY_FAILED = 125;

export function replayCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['-a', '--autopilot', '-v', '--verbose'] });
  const verbose = options.has('-v') || options.has('--verbose');
  if (operands.length > 1) throw new UsageError('replay: more than one trace given');
  // Without -a the debugger would start; until the gdb server lands, replay runs on autopilot.
  const reader = TraceReader.open(resolveTrace(operands[0]));
  try {
    const outcome = new Replayer(reader, { echo: true }).run();
    return outcome.exitSignal !== null ? 128 + outcome.exitSignal : outcome.exitCode ?? 0;
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
