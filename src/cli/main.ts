// CLI: entry point. Dispatches to the commands; turns every expected failure into one line on stderr.
import { TraceError } from '../trace/errors.js';
import { checkpoint } from './timing.js';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

const HELP = `rewind ${VERSION} — record and replay Linux x86-64 programs, no hardware counters needed

usage:
  rewind record [-o DIR] [--pack] [--cpu-features=native|portable] [--[no-]syscall-buffer] [--] CMD [ARGS...]
                                              run CMD and record it (exits with CMD's status);
                                              --pack: private copies of every file, as rewind pack makes;
                                              --no-syscall-buffer: trace every call (rr's -n; by
                                              default calls that cannot block run in the program)
  rewind replay [-v] [-g EVENT] [-p PID] [TRACE]
                                              debug the replay in gdb, forwards and backwards
  rewind replay -s PORT [--host HOST] [...]   only serve it to a debugger (gdb remote protocol)
  rewind replay -a [-v] [TRACE]               replay to the end, re-emitting its output
                                              (-v: on a divergence, also show the events before it)
  rewind dump [--json] [TRACE]                print the trace's events, one per line
  rewind info [--json] [TRACE]                describe a trace (and the machine it was recorded on)
  rewind pack [TRACE]                         make a trace self-contained, to move or copy it elsewhere
                                              (hard links to system files become private copies)
  rewind ps [--json] [TRACE]                  list the recorded processes (pid, parent, exit, command)
  rewind doctor [--json]                      which hardware traps work here, and what rewind uses instead
  rewind syscalls [--json]                    every system call and how rewind handles it
  rewind --help | --version

REWIND_SOFTWARE=all (or tsc,cpuid,debugregs) makes rewind use its software paths even where the
hardware traps work. REWIND_NO_SYSCALL_BUFFER=1 records as --no-syscall-buffer does.

Traces go to $REWIND_TRACE_DIR (default ~/.local/share/rewind) as <program>-<n> unless -o is given;
TRACE defaults to the latest one there.
`;

async function main(argv: string[]): Promise<number> {
  checkpoint('main');
  const [cmd, ...rest] = argv;
  if (process.env['REWIND_SOFTWARE']) {
    try {
      (await import('../tracee/capabilities.js')).forcedSoftware();
    } catch (e) {
      throw new UsageError((e as Error).message, 1);
    }
  }
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    case '-V':
    case '--version':
      process.stdout.write(`rewind ${VERSION}\n`);
      return 0;
    case 'record':
      return (await import('./record-command.js')).recordCommand(rest);
    case 'replay':
      return (await import('./replay-command.js')).replayCommand(rest);
    case 'dump':
      return (await import('./dump-command.js')).dumpCommand(rest);
    case 'info':
      return (await import('./info-command.js')).infoCommand(rest);
    case 'ps':
      return (await import('./ps-command.js')).psCommand(rest);
    case 'pack':
      return (await import('./pack-command.js')).packCommand(rest);
    case 'doctor':
      return (await import('./doctor-command.js')).doctorCommand(rest);
    case 'syscalls':
      return (await import('./syscalls-command.js')).syscallsCommand(rest);
    default:
      throw new UsageError(`unknown command ${cmd} (see rewind --help)`);
  }
}

// A reader that goes away (`rewind dump | head`) ends the output quietly, as for any Unix tool.
// Not for record and replay: their stdout is the program's (record) or written with write(2) (replay's
// re-emitted output), and touching process.stdout makes a pipe O_NONBLOCK — a flag of the open file
// that the recorded program shares, whose writes then fail with EAGAIN when the pipe is full.
if (process.argv[2] !== 'record' && process.argv[2] !== 'replay') {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (status) => {
    checkpoint('done');
    process.exitCode = status;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`rewind: ${e.message}\n`);
      process.exitCode = e.status;
    } else if (e instanceof TraceError) {
      process.stderr.write(`rewind: ${e.message}\n`);
      process.exitCode = 125;
    } else {
      const err = e as Error;
      process.stderr.write(`rewind: internal error: ${err?.message ?? String(e)}\n`);
      if (process.env.REWIND_DEBUG) process.stderr.write(`${err?.stack}\n`);
      process.exitCode = 70;
    }
  },
);
