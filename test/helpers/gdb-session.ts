// Test helper: debugging a replay with the real gdb. `rewind replay -s 0 …` serves the replay (with
// REWIND_GDB_LOG, so the server's failures are in its stderr), gdb runs in batch mode with the given
// commands against it, and both outputs come back; plus helpers to pick out what gdb printed.
import assert from 'node:assert/strict';
import { gdbArguments, writeGdbScript } from '../../src/cli/gdb-script.js';
import { explain, rewindBin, run, start } from './harness.js';

export interface GdbRun {
  /** What gdb printed: stdout and stderr in the order gdb wrote them (or one after the other, see `separate`). */
  gdb: string;
  /** With `separate`: gdb's stdout and its stderr (monitor output and errors). */
  out: string;
  err: string;
  /** What `rewind replay -s` printed. */
  server: string;
}

export interface DebugOptions {
  /** More arguments for `rewind replay` (-p, -g…). */
  args?: string[];
  /** gdb as `rewind replay` starts it (its command file, `target extended-remote`), not `target remote`. */
  extended?: boolean;
  /** Keep gdb's stdout and stderr apart (`gdb` is then one after the other). */
  separate?: boolean;
  /** More environment for `rewind replay` (REWIND_SOFTWARE…). */
  env?: Record<string, string>;
  /** Runs `rewind replay` through another command (a mount namespace of the test's own…). */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
}

/**
 * Serves the trace and runs gdb -batch with these commands against it. A resume the server failed
 * fails the test. `exe` null: gdb is given no program and reads it from the server.
 */
export async function debugReplay(exe: string | null, traceDir: string, commands: string[], opts: DebugOptions = {}): Promise<GdbRun> {
  const [cmd, cmdArgs] = (opts.wrap ?? ((c: string, a: string[]): [string, string[]] => [c, a]))(rewindBin, ['replay', '-s', '0', ...(opts.args ?? []), traceDir]);
  const server = start(cmd, cmdArgs, {
    timeoutMs: 180_000,
    env: { ...process.env, REWIND_GDB_LOG: '1', ...opts.env },
  });
  let port = 0;
  for (let i = 0; i < 600 && port === 0; i++) {
    const m = /serving the replay of process \d+ on 127\.0\.0\.1:(\d+)/.exec(server.stderrSoFar().toString());
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(port > 0, `rewind replay -s did not start serving: ${server.stderrSoFar().toString()}`);
  const script = opts.extended ? writeGdbScript() : null;
  const args = script
    ? ['-nx', '-batch', ...gdbArguments(script.path, '127.0.0.1', port, exe)]
    : ['-nx', '-q', '-batch', '-ex', `target remote 127.0.0.1:${port}`, ...(exe === null ? [] : [exe])];
  for (const c of commands) args.push('-ex', c);
  // One pipe for both streams keeps gdb's errors next to the command that caused them.
  const g = await (opts.separate ? run('gdb', args, { timeoutMs: 180_000 }) : run('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', 'gdb', ...args], { timeoutMs: 180_000 }))
    .finally(() => script?.remove());
  const s = await server.done;
  assert.equal(s.status, 0, `rewind replay -s ended badly:\n${explain(s)}\ngdb:\n${explain(g)}`);
  const [out, err] = [g.stdout.toString(), g.stderr.toString()];
  const result = { gdb: out + err, out, err, server: s.stderr.toString() };
  assert.doesNotMatch(result.server, /resume failed/, `the replay failed a resume:\n${result.server}\ngdb:\n${result.gdb}`);
  return result;
}

/** The values gdb printed with `print` ($N = V), in order. */
export function printed(gdb: string): string[] {
  return [...gdb.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);
}

/** The same, as numbers. */
export function printedNumbers(gdb: string): number[] {
  return [...gdb.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => Number(m[1]));
}

/** The text between two `echo MARK\n` markers (or to the end). */
export function section(gdb: string, from: string, to?: string): string {
  const a = gdb.indexOf(from);
  assert.ok(a >= 0, `no ${from} in:\n${gdb}`);
  const b = to === undefined ? gdb.length : gdb.indexOf(to, a);
  assert.ok(b >= 0, `no ${to} in:\n${gdb}`);
  return gdb.slice(a, b);
}

/** A gdb command that selects the thread whose LWP (recorded tid) is tid (gdb numbers threads itself). */
export function selectThread(tid: number): string {
  return `python gdb.execute('thread %d' % [t.num for t in gdb.selected_inferior().threads() if t.ptid[1] == ${tid}][0])`;
}

/** A gdb command that sets `break LOCATION thread N` for the thread whose LWP is tid. */
export function breakInThread(location: string, tid: number): string {
  return `python gdb.execute('break ${location} thread %d' % [t.num for t in gdb.selected_inferior().threads() if t.ptid[1] == ${tid}][0])`;
}
