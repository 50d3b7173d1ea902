// CLI: where traces live. Default: $REWIND_TRACE_DIR or ~/.local/share/rewind, each trace named
// <program>-<n>, with a latest-trace symlink to the newest.
import { existsSync, mkdirSync, readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

export function traceRoot(): string {
  return process.env.REWIND_TRACE_DIR || join(homedir(), '.local', 'share', 'rewind');
}

/** A new, unused trace directory name for a program under the trace root. */
export function newTraceDir(program: string): string {
  const root = traceRoot();
  mkdirSync(root, { recursive: true });
  const base = basename(program).replace(/[^\w.+-]/g, '_') || 'trace';
  for (let n = 0; ; n++) {
    const dir = join(root, `${base}-${n}`);
    if (!existsSync(dir)) return dir;
  }
}

/** Points latest-trace at dir (atomically: a new symlink renamed over the old one). */
export function markLatest(dir: string): void {
  const root = traceRoot();
  const tmp = join(root, `.latest-trace-${process.pid}`);
  symlinkSync(basename(dir), tmp);
  renameSync(tmp, join(root, 'latest-trace'));
}

/** The trace a command should read: the one named, or the latest. */
export function resolveTrace(arg: string | undefined): string {
  if (arg) return resolve(arg);
  const link = join(traceRoot(), 'latest-trace');
  try {
    return resolve(traceRoot(), readlinkSync(link));
  } catch {
    throw new UsageError(`no trace given and no latest trace in ${traceRoot()}`, 125);
  }
}
