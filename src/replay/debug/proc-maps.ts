// Replay debugging: /proc/PID/maps of the replayed process as the recording would show it. The
// replay maps the trace's copies of files where the recorded program mapped the originals; each such
// line gets the original's path, device and inode back (so does a mapping of a file mapped shared,
// whose backing is a memfd named after the copy: src/replay/shared-backings.ts). Other lines (anonymous memory, the stack,
// the vDSO, the interpreter, which the kernel maps from the host's file) stay as they are.
import { devMajor, devMinor } from '../../kernel/dev-t.js';
import type { FileRef } from '../../trace/events.js';

const LINE = /^([0-9a-f]+-[0-9a-f]+) (\S+) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)(\s+)(.+)$/;

/** `recordedOf(name)`: the recorded file whose copy a mapping's name is, if it is one. */
export function mapsAsRecorded(text: string, recordedOf: (name: string) => FileRef | undefined): string {
  return text.split('\n').map((line) => {
    const m = LINE.exec(line);
    const name = m?.[7]?.replace(/ \(deleted\)$/, '');
    const ref = name === undefined ? undefined : recordedOf(name);
    if (!m || !ref) return line;
    const prefix = `${m[1]} ${m[2]} ${m[3]} ${deviceNumbers(ref.dev)} ${ref.ino} `;
    // The kernel pads the fields so names start in one column: keep that column.
    return prefix.padEnd(line.length - m[7]!.length) + ref.path;
  }).join('\n');
}

/** A st_dev as maps shows it: major:minor in hex (glibc's dev_t encoding). */
export function deviceNumbers(dev: bigint): string {
  const two = (n: bigint) => n.toString(16).padStart(2, '0');
  return `${two(devMajor(dev))}:${two(devMinor(dev))}`;
}
