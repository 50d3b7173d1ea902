// Test helper: the real gdb (batch mode) against `rewind replay -s 0 TRACE`, for the debugging tests.
import assert from 'node:assert/strict';
import { explain, rewindBin, run, start } from './harness.js';

export interface GdbRun {
  /** What gdb printed (stdout, then stderr). */
  gdb: string;
  /** What the server printed on stderr. */
  server: string;
}

/** Serves the trace (rewind replay -s 0 …) and runs gdb -batch with these commands against it. */
export async function debugReplay(exe: string, traceDir: string, commands: string[], replayArgs: string[] = []): Promise<GdbRun> {
  const server = start(process.execPath, [rewindBin, 'replay', '-s', '0', ...replayArgs, traceDir], { timeoutMs: 180_000 });
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
  const g = await run('gdb', args, { timeoutMs: 180_000 });
  const s = await server.done;
  assert.equal(s.status, 0, `rewind replay -s ended badly:\n${explain(s)}\ngdb:\n${explain(g)}`);
  return { gdb: g.stdout.toString() + g.stderr.toString(), server: s.stderr.toString() };
}

/** The values gdb printed with `print` ($N = V), in order. */
export function printed(gdb: string): string[] {
  return [...gdb.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);
}
