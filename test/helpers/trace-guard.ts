// Tests that damage a trace must damage only what the trace owns. A trace's files/ may hold hard links to
// system files (/usr/lib/...): writing into one in place writes into the system's file. These helpers
// refuse (throw) before any write to a file that has a name outside the trace.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Throws unless `file` is inside `traceDir` and every hard link to it is inside `traceDir` too. */
export function assertTraceOwns(traceDir: string, file: string): void {
  const root = fs.realpathSync(traceDir);
  const real = fs.realpathSync(file);
  if (!real.startsWith(root + path.sep)) throw new Error(`refusing to modify ${file}: it is not inside the trace ${traceDir}`);
  const st = fs.lstatSync(real, { bigint: true });
  if (!st.isFile()) throw new Error(`refusing to modify ${file}: not a regular file`);
  if (st.nlink === 1n) return;
  let inside = 0n;
  const walk = (dir: string): void => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile()) {
        const s = fs.lstatSync(p, { bigint: true });
        if (s.dev === st.dev && s.ino === st.ino) inside++;
      }
    }
  };
  walk(root);
  if (inside < st.nlink) {
    throw new Error(`refusing to modify ${file}: it has ${st.nlink} hard links, ${st.nlink - inside} of them outside the trace (a system file?)`);
  }
}

/** XORs `count` bytes at `at` of a file the trace owns (in place: same inode, same size). */
export function flipBytes(traceDir: string, file: string, at: number, count = 1): void {
  assertTraceOwns(traceDir, file);
  const fd = fs.openSync(file, 'r+');
  try {
    const buf = new Uint8Array(count);
    const n = fs.readSync(fd, buf, 0, count, at);
    if (n !== count) throw new Error(`${file} has no ${count} bytes at ${at}`);
    for (let i = 0; i < count; i++) buf[i] = buf[i]! ^ 0xff;
    fs.writeSync(fd, buf, 0, count, at);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces the content of a file the trace owns (a new file of the same name is not needed: it is owned). */
export function rewriteOwned(traceDir: string, file: string, data: Uint8Array | string): void {
  assertTraceOwns(traceDir, file);
  fs.writeFileSync(file, data);
}

/** Truncates a file the trace owns. */
export function truncateOwned(traceDir: string, file: string, size: number): void {
  assertTraceOwns(traceDir, file);
  fs.truncateSync(file, size);
}
