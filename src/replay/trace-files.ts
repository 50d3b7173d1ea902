// Replay: finding the trace's copy of a recorded file, after checking it is still the recorded file.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileRef } from '../trace/events.js';
import { UnsupportedError } from '../tracee/errors.js';

export function copyPath(filesDir: string, ref: FileRef): string {
  const p = join(filesDir, ref.copy);
  let st;
  try {
    st = statSync(p, { bigint: true });
  } catch {
    throw new UnsupportedError(`the trace's copy of ${ref.path} (${ref.copy}) is missing`);
  }
  // A hard link shares the original's inode, so an in-place rewrite of the original shows up here.
  const linked = st.ino === ref.ino && st.dev === ref.dev;
  if (st.size !== ref.size || (linked && st.mtimeNs !== ref.mtimeNs)) {
    throw new UnsupportedError(`the trace's copy of ${ref.path} was modified after recording`);
  }
  return p;
}
