// Test helper: debugging a replay with the real gdb. `rewind replay -s 0 …` serves the replay (with
// REWIND_GDB_LOG, so the server's failures are in its stderr), gdb runs in batch mode with the given
// commands against it, and both outputs come back. Unlike gdb-session.ts, gdb's stdout and stderr come
// as one stream in the order gdb wrote them (errors stay next to the command that caused them), and a
// resume the server failed fails the test; plus helpers to pick out what gdb printed.
import assert from 'node:assert/strict';
import { explain, rewindBin, run, start } from './harness.js';

export interface GdbRun {
  /** What gdb printed (stdout and stderr, in order). */
  gdb: string;
  /** What `rewind replay -s` printed. */
  server: string;
}

/** Serves the trace (rewind replay -s 0 …) and runs gdb -batch with these commands against it. */
export async function debugReplay(exe: string, traceDir: string, commands: string[], replayArgs: string[] = []): Promise<GdbRun> {
  const server = start(rewindBin, ['replay', '-s', '0', ...replayArgs, traceDir], {
    timeoutMs: 120_000,
    env: { ...process.env, REWIND_GDB_LOG: '1' },
  });
  let port = 0;
  for (let i = 0; i < 600 && port === 0; i++) {
    const m = /serving the replay of process \d+ on 127\.0\.0\.1:(\d+)/.exec(server.stderrSoFar().toString());
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(port > 0, `rewind replay -s did not start serving: ${server.stderrSoFar().toString()}`);
  const args = ['-nx', '-q', '-batch', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  args.push(exe);
  // gdb's errors go to stderr: one pipe for both keeps them in order with the rest.
  const g = await run('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', 'gdb', ...args], { timeoutMs: 120_000 });
  const s = await server.done;
  assert.equal(s.status, 0, `rewind replay -s ended badly:\n${explain(s)}\ngdb:\n${explain(g)}`);
  const out = { gdb: g.stdout.toString() + g.stderr.toString(), server: s.stderr.toString() };
  assert.doesNotMatch(out.server, /resume failed/, `the replay failed a resume:\n${out.server}\ngdb:\n${out.gdb}`);
  return out;
}

/** The values gdb printed with `print` ($N = VALUE lines), in order, as numbers. */
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
