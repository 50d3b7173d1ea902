// Replay debugging: the files the recording keeps copies of (every executable, interpreter and mapped
// file: FileRefs in exec and syscall events), found by the name a debugger asks for. Only these are
// ever served: nothing else on the host is read.
//
// A name matches a recorded file by, in order:
//   1. its recorded path (the path the kernel showed, symbolic links resolved);
//   2. the host's resolution of the name's symbolic links, when that is a recorded path (the program
//      names /lib/x86_64-linux-gnu/libc.so.6, the kernel showed /usr/lib/x86_64-linux-gnu/…);
//   3. its last component, when one recorded file alone has that name or that DT_SONAME (the same
//      on a machine laid out differently; libstdc++.so.6 for the recorded libstdc++.so.6.0.30).
// When several copies answer (a file replaced while the program ran), the one the debugged process
// has mapped now wins, then the newest recorded by the current event.
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename, posix } from 'node:path';
import type { FileRef } from '../../trace/events.js';
import { copyFile, hasCopy } from '../../trace/file-copies.js';
import type { TraceReader } from '../../trace/trace-reader.js';
import { elfSoname } from './elf-soname.js';

export interface RecordedFile {
  readonly ref: FileRef;
  /** The copy's real path (as /proc/PID/maps shows it when the replay maps it). */
  readonly copy: string;
  /** Index of the first event naming it. */
  readonly event: number;
}

export class RecordedFiles {
  private list: RecordedFile[] | null = null;
  private byCopy: Map<string, RecordedFile> | null = null;
  private readonly sonames = new Map<string, string | null>();

  constructor(private readonly reader: TraceReader) {}

  /** Every recorded file with a copy, in the order the trace first names them. */
  all(): readonly RecordedFile[] {
    if (this.list) return this.list;
    const seen = new Map<string, RecordedFile>();
    const add = (ref: FileRef | null | undefined, event: number) => {
      if (!ref || !hasCopy(ref) || seen.has(ref.copy)) return;
      let copy: string;
      try {
        copy = realpathSync(copyFile(this.reader.filesDir, ref));
      } catch {
        return; // a missing copy: replay reports it where it is needed
      }
      seen.set(ref.copy, { ref, copy, event });
    };
    let i = 0;
    for (const ev of this.reader.events()) {
      if (ev.kind === 'exec') {
        add(ev.exe, i);
        add(ev.interp, i);
      } else if (ev.kind === 'syscall') {
        add(ev.file, i);
      }
      i++;
    }
    this.list = [...seen.values()];
    return this.list;
  }

  /** The recorded file whose copy is at `copyPath` (a name in the replay's /proc/PID/maps). */
  ofCopy(copyPath: string): RecordedFile | undefined {
    this.byCopy ??= new Map(this.all().map((f) => [f.copy, f]));
    return this.byCopy.get(copyPath);
  }

  /** The recorded file whose copy is named `copy` in the trace's files/ (FileRef.copy). */
  named(copy: string): RecordedFile | undefined {
    return this.all().find((f) => f.ref.copy === copy);
  }

  /**
   * The recorded file a debugger means by `path`, or null. `mappedNow`: copies the debugged process
   * maps at this point; `now`: the current event index.
   */
  find(path: string, mappedNow: ReadonlySet<string>, now: number): RecordedFile | null {
    if (!path.startsWith('/')) return null;
    const name = posix.normalize(path);
    const files = this.all();
    const exact = files.filter((f) => f.ref.path === name);
    if (exact.length > 0) return choose(exact, mappedNow, now);
    const resolved = hostRealpath(name);
    const viaLinks = resolved === null ? [] : files.filter((f) => f.ref.path === resolved);
    if (viaLinks.length > 0) return choose(viaLinks, mappedNow, now);
    const last = basename(name);
    const sameName = files.filter((f) => basename(f.ref.path) === last || this.soname(f) === last);
    if (new Set(sameName.map((f) => f.ref.path)).size === 1) return choose(sameName, mappedNow, now);
    const mapped = sameName.filter((f) => mappedNow.has(f.copy));
    return mapped.length === 1 ? mapped[0]! : null;
  }

  private soname(f: RecordedFile): string | null {
    let name = this.sonames.get(f.copy);
    if (name === undefined) {
      try {
        name = elfSoname((offset, length) => readRange(f.copy, offset, length));
      } catch {
        name = null;
      }
      this.sonames.set(f.copy, name);
    }
    return name;
  }
}

function choose(candidates: RecordedFile[], mappedNow: ReadonlySet<string>, now: number): RecordedFile {
  const mapped = candidates.find((f) => mappedNow.has(f.copy));
  if (mapped) return mapped;
  const before = candidates.filter((f) => f.event <= now);
  return before[before.length - 1] ?? candidates[0]!;
}

/** Where the host's symbolic links lead (names only: no file is read); null if it does not exist. */
function hostRealpath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** Up to `length` bytes of the file at `path` from `offset` (fewer at its end). */
export function readRange(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}
