// Replay: the name a replayed process gets from the kernel. The kernel names a process after the last
// component of the path it exec'd (/proc/PID/comm, ps); replay execs the trace's copy (files/5-sh), so
// it execs it through a symbolic link carrying the recorded name, in a directory of its own under the
// system's temporary directory, removed when rewind exits. The name is right from the exec on.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | null = null;
let count = 0;
/** The links made, by target and name: a program exec'd again (make's compilers) reuses its link. */
const made = new Map<string, string>();

/** A path that execs `target` under the file name `name` (target itself where no link can be made). */
export function namedExecPath(target: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return target;
  const key = `${target}\0${name}`;
  const known = made.get(key);
  if (known) return known;
  try {
    if (!dir) {
      const created = mkdtempSync(join(tmpdir(), 'rewind-exec-'));
      dir = created;
      process.on('exit', () => rmSync(created, { recursive: true, force: true }));
    }
    const sub = join(dir, String(count++));
    mkdirSync(sub);
    const link = join(sub, name);
    symlinkSync(target, link);
    made.set(key, link);
    return link;
  } catch {
    return target;
  }
}
