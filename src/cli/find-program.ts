// CLI: finding the program to record the way a shell would (PATH search), with a clear error if absent.
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findProgram(cmd: string): string {
  if (cmd.includes('/')) {
    const p = resolve(cmd);
    if (isExecutableFile(p)) return p;
    throw new UsageError(`cannot run ${cmd}: no such executable file`, 127);
  }
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = resolve(join(dir || '.', cmd));
    if (isExecutableFile(p)) return p;
  }
  throw new UsageError(`cannot run ${cmd}: command not found in PATH`, 127);
}
