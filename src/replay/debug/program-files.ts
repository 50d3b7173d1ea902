// Replay debugging: the file system a debugger sees through Host I/O (vFile) — the recorded
// program's files, read from the trace's copies (recorded-files.ts), and the /proc files of the
// debugged process under its recorded ids: maps (the live replay's, with recorded names:
// proc-maps.ts), cmdline, exe. Anything else is ENOENT: replay serves the recording, never other
// files of the host, and never writes.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { TargetError, type TargetFile } from '../../gdb/index.js';
import { E } from '../../kernel/errno.js';
import type { FileRef } from '../../trace/events.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import { readMaps } from '../../tracee/maps.js';
import type { Task } from '../../tracee/task.js';
import { copyPath } from '../trace-files.js';
import { backingCopyName } from '../shared-backings.js';
import { mapsAsRecorded } from './proc-maps.js';
import { readRange, RecordedFiles } from './recorded-files.js';
import type { Timeline } from './timeline.js';

const { ENOENT, EINVAL } = E;

/** The part of the Timeline this needs. */
type ProgramView = Pick<Timeline, 'pid' | 'threads' | 'task' | 'execEvent' | 'eventIndex'>;

export class ProgramFiles {
  private readonly recorded: RecordedFiles;

  constructor(private readonly tl: ProgramView, private readonly reader: TraceReader) {
    this.recorded = new RecordedFiles(reader);
  }

  /** The recorded path of a file replay maps (a trace copy), or the name itself. */
  recordedName(mapped: string): string {
    return this.recorded.ofCopy(mapped)?.ref.path ?? mapped;
  }

  open(path: string): TargetFile {
    const proc = procPath(path);
    if (proc) return this.openProc(path, proc);
    const found = this.recorded.find(path, this.mappedCopies(), this.tl.eventIndex);
    if (!found) throw new TargetError(`${path} is not a file of the recording`, ENOENT);
    return this.copyOf(found.ref);
  }

  readLink(path: string): string {
    const proc = procPath(path);
    if (proc?.name === 'exe') {
      this.task(proc, path);
      return this.tl.execEvent().exe.path;
    }
    if (!proc && this.recorded.find(path, this.mappedCopies(), this.tl.eventIndex)) {
      throw new TargetError(`${path} is not a symbolic link`, EINVAL);
    }
    throw new TargetError(`${path} is not a link the recording has`, ENOENT);
  }

  private openProc(path: string, proc: ProcPath): TargetFile {
    const task = this.task(proc, path);
    switch (proc.name) {
      case 'maps': {
        const real = proc.tid === null ? `/proc/${task.tgid}/maps` : `/proc/${task.tgid}/task/${task.tid}/maps`;
        const text = mapsAsRecorded(readFileSync(real, 'utf8'), (name) => {
          const backed = backingCopyName(name); // a file mapped shared maps its backing
          return (backed === null ? this.recorded.ofCopy(name) : this.recorded.named(backed))?.ref;
        });
        return bytesFile(new TextEncoder().encode(text));
      }
      case 'cmdline': {
        const argv = this.tl.execEvent().argv;
        return bytesFile(new TextEncoder().encode(argv.map((a) => `${a}\0`).join('')));
      }
      case 'exe':
        return this.copyOf(this.tl.execEvent().exe);
      default:
        throw new TargetError(`${path}: rewind serves only maps, cmdline and exe of the process`, ENOENT);
    }
  }

  /** The live thread a /proc path names: the debugged process under its recorded pid (and tid). */
  private task(proc: ProcPath, path: string): Task {
    const threads = this.tl.threads();
    const tid = proc.tid ?? threads[0];
    if (proc.pid !== this.tl.pid || tid === undefined || !threads.includes(tid)) {
      throw new TargetError(`${path}: no such process in this replay`, ENOENT);
    }
    return this.tl.task(tid);
  }

  /** Copies the debugged process maps now (none once it is gone). */
  private mappedCopies(): Set<string> {
    const leader = this.tl.threads()[0];
    if (leader === undefined) return new Set();
    return new Set(readMaps(this.tl.task(leader).tgid).map((m) => m.name));
  }

  private copyOf(ref: FileRef): TargetFile {
    const file = copyPath(this.reader.filesDir, ref);
    return {
      size: Number(ref.size),
      mtime: Number(ref.mtimeNs / 1_000_000_000n),
      read: (offset, length) => readRange(file, offset, length),
    };
  }
}

interface ProcPath {
  pid: number;
  tid: number | null;
  name: string;
}

/** /proc/PID/NAME or /proc/PID/task/TID/NAME; null for a path outside /proc. */
function procPath(path: string): ProcPath | null {
  const p = posix.normalize(path);
  if (p !== '/proc' && !p.startsWith('/proc/')) return null;
  const m = /^\/proc\/(\d+)(?:\/task\/(\d+))?\/([^/]+)$/.exec(p);
  if (!m) return { pid: -1, tid: null, name: '' }; // /proc/self/…, /proc/cpuinfo…: not served
  return { pid: Number(m[1]), tid: m[2] === undefined ? null : Number(m[2]), name: m[3]! };
}

function bytesFile(data: Uint8Array): TargetFile {
  return { size: data.length, read: (offset, length) => data.slice(offset, offset + length) };
}
