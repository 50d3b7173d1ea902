// Test helper: the real gdb (batch mode) against `rewind replay -s 0 TRACE`, for the debugging tests.
import assert from 'node:assert/strict';
import { gdbArguments, writeGdbScript } from '../../src/cli/gdb-script.js';
import { explain, rewindBin, run, start } from './harness.js';

export interface GdbRun {
  /** gdb's stdout and stderr (monitor output and errors go to stderr). */
  gdb: string;
  out: string;
  err: string;
  /** What the server printed on stderr. */
  server: string;
}

/**
 * Serves the trace (rewind replay -s 0 …) and runs gdb -batch with these commands against it:
 * `target remote`, or with `extended`, the command line `rewind replay` starts gdb with (its
 * command file, `target extended-remote`). `exe` null: gdb is given no program and reads it from
 * the server.
 */
export async function debugReplay(
  exe: string | null, traceDir: string, commands: string[], replayArgs: string[] = [], extended = false,
): Promise<GdbRun> {
  const server = start(process.execPath, [rewindBin, 'replay', '-s', '0', ...replayArgs, traceDir], { timeoutMs: 180_000 });
  let port = 0;
  for (let i = 0; i < 600 && port === 0; i++) {
    const m = /serving the replay of process \d+ on 127\.0\.0\.1:(\d+)/.exec(server.stderrSoFar().toString());
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(port > 0, `rewind replay -s did not start serving: ${server.stderrSoFar().toString()}`);
  const script = extended ? writeGdbScript() : null;
  const args = script
    ? ['-nx', '-batch', ...gdbArguments(script.path, '127.0.0.1', port, exe)]
    : ['-nx', '-q', '-batch', '-ex', `target remote 127.0.0.1:${port}`, ...(exe === null ? [] : [exe])];
  for (const c of commands) args.push('-ex', c);
  const g = await run('gdb', args, { timeoutMs: 180_000 }).finally(() => script?.remove());
  const s = await server.done;
  assert.equal(s.status, 0, `rewind replay -s ended badly:\n${explain(s)}\ngdb:\n${explain(g)}`);
  const [out, err] = [g.stdout.toString(), g.stderr.toString()];
  return { gdb: out + err, out, err, server: s.stderr.toString() };
}

/** The values gdb printed with `print` ($N = V), in order. */
export function printed(gdb: string): string[] {
  return [...gdb.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);
}
