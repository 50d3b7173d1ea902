// CLI: the debugging half of `rewind replay` (without -a): serves the replay to gdb, and starts gdb
// unless -s gave a port. Loaded by replay-command.ts only when it is needed.
import { spawn } from 'node:child_process';
import { serveGdb } from '../gdb/index.js';
import { ReplayTarget } from '../replay/debug/replay-target.js';
import { Timeline, TimelineError } from '../replay/debug/timeline.js';
import { ProcessTree } from '../trace/process-tree.js';
import type { TraceReader } from '../trace/trace-reader.js';
import { findProgram } from './find-program.js';
import { gdbArguments, writeGdbScript } from './gdb-script.js';
import { REPLAY_FAILED } from './replay-status.js';
import { UsageError } from './usage-error.js';

export interface DebugOptions {
  port: number | undefined;
  host: string | undefined;
  goto: number | undefined;
  pid: number | undefined;
}

/** Serves the replay to gdb; starts gdb unless a port was given. A timeline's error is a usage error. */
export async function debug(reader: TraceReader, o: DebugOptions): Promise<number> {
  try {
    return await serve(reader, o);
  } catch (e) {
    if (e instanceof TimelineError) throw new UsageError(e.message, REPLAY_FAILED);
    throw e;
  }
}

async function serve(reader: TraceReader, o: DebugOptions): Promise<number> {
  if (o.pid !== undefined) {
    const owner = ProcessTree.of(reader.events()).processOf(o.pid);
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
  const target = new ReplayTarget(tl, reader, (line) => process.stderr.write(`${line}\n`));
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

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
