// CLI: `rewind replay [-a] [-v] [-s PORT [--host HOST]] [-g EVENT] [-p PID] [TRACE]`.
// -a replays to the end on its own; otherwise the replay is served to gdb (-s: only served, for a
// debugger started by hand; default: gdb is started and connected to it, as rr replay does).
import { spawn } from 'node:child_process';
import { serveGdb } from '../gdb/index.js';
import { CLONE_THREAD } from '../kernel/clone-flags.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { Replayer } from '../replay/replayer.js';
import { DivergenceError, TraceEndedEarly } from '../replay/divergence.js';
import { ReplayTarget } from '../replay/debug/replay-target.js';
import { Timeline, TimelineError } from '../replay/debug/timeline.js';
import { missingCpuFeatures, thisCpu } from '../trace/machine.js';
import type { TraceMeta } from '../trace/meta.js';
import { TraceReader } from '../trace/trace-reader.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { parseArgs } from './args.js';
import { findProgram } from './find-program.js';
import { gdbArguments, writeGdbScript } from './gdb-script.js';
import { resolveTrace } from './trace-dirs.js';
import { checkpoint } from './timing.js';
import { UsageError } from './usage-error.js';

/** Exit status for a replay that could not be completed. */
export const REPLAY_FAILED = 125;

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
      const outcome = new Replayer(reader, { echo: true }).run();
      return outcome.exitSignal !== null ? 128 + outcome.exitSignal : outcome.exitCode ?? 0;
    }
    return await debug(reader, { port, host: typeof host === 'string' ? host : undefined, goto, pid });
  } catch (e) {
    if (e instanceof DivergenceError) {
      // One line by default; -v adds the events that led there.
      const more = verbose ? e.details.map((d) => d + '\n').join('') : '';
      process.stderr.write(`rewind: ${e.message}${verbose ? '' : ' (replay -v shows the events before it)'}\n${more}`);
      return REPLAY_FAILED;
    }
    if (e instanceof TraceEndedEarly || e instanceof UnsupportedError || e instanceof TraceeError || e instanceof TimelineError) {
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

interface DebugOptions {
  port: number | undefined;
  host: string | undefined;
  goto: number | undefined;
  pid: number | undefined;
}

/** Serves the replay to gdb; starts gdb unless a port was given. */
async function debug(reader: TraceReader, o: DebugOptions): Promise<number> {
  if (o.pid !== undefined) {
    const processOf = recordedProcesses(reader);
    const owner = processOf.get(o.pid);
    if (owner === undefined) throw new UsageError(`replay: the trace has no process ${o.pid} (rewind ps lists them)`, REPLAY_FAILED);
    if (owner !== o.pid) {
      throw new UsageError(`replay: ${o.pid} is a thread of process ${owner}; -p takes a process id (rewind ps lists them)`, REPLAY_FAILED);
    }
  }
  let gdbPath: string | null = null;
  if (o.port === undefined) {
    try {
      gdbPath = findProgram('gdb');
    } catch {
      throw new UsageError('replay: gdb is not installed (-a replays without it; -s PORT serves another debugger)', REPLAY_FAILED);
    }
  }
  const tl = new Timeline(reader, { pid: o.pid, goto: o.goto });
  const target = new ReplayTarget(tl, reader);
  const exe = target.localExecutable();
  const abort = new AbortController();
  let gdbStatus: Promise<number> | null = null;
  try {
    const served = serveGdb(target, {
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 0,
      signal: abort.signal,
      log: process.env.REWIND_GDB_LOG ? (line) => process.stderr.write(`rewind: ${line}\n`) : undefined,
      report: (line) => process.stderr.write(`${line}\n`),
      onListening: ({ host, port }) => {
        if (gdbPath) {
          gdbStatus = runGdb(gdbPath, exe, host, port, () => abort.abort());
        } else {
          process.stderr.write(`rewind: serving the replay of process ${tl.pid} on ${host}:${port}\n` +
            `rewind: connect with: gdb ${shellQuote(exe)} -ex 'target extended-remote ${host}:${port}'\n`);
        }
      },
    });
    await served;
    return gdbStatus ? await gdbStatus : 0;
  } finally {
    tl.close();
  }
}

function runGdb(gdb: string, exe: string, host: string, port: number, done: () => void): Promise<number> {
  const script = writeGdbScript();
  return new Promise((resolve) => {
    const finish = (status: number) => { script.remove(); done(); resolve(status); };
    const child = spawn(gdb, gdbArguments(script.path, host, port, exe), { stdio: 'inherit' });
    child.on('error', () => finish(REPLAY_FAILED));
    child.on('exit', (code) => finish(code ?? 0));
  });
}

/** Every recorded tid with the process it belongs to (a process's own id for its leader). */
function recordedProcesses(reader: TraceReader): Map<number, number> {
  const processOf = new Map<number, number>();
  for (const ev of reader.events()) {
    if (ev.kind === 'exec' && !processOf.has(ev.tid)) processOf.set(ev.tid, ev.tid);
    if (ev.kind === 'newtask') {
      const thread = ev.nr === SYS.clone && (ev.regs[R.rdi]! & CLONE_THREAD) !== 0n;
      processOf.set(ev.child, thread ? processOf.get(ev.tid) ?? ev.tid : ev.child);
    }
  }
  return processOf;
}

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
