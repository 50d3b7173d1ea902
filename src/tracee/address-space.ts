// Traced-process model: a process's address space as rewind keeps it across record and replay — each
// mapping with what it holds (a file's copy at an offset, anonymous memory, the stack, the kernel's vDSO
// and vvar pages), its protection, and the mm layout the kernel keeps beside the mappings (code, data,
// brk, argument and environment bounds, the saved auxv). Record reads it from /proc right after an
// execve (trace event `exec`, its `image`); replay builds the same (src/syscalls/exec-image.ts).
import { readFileSync } from 'node:fs';
import { ImageKind, type FileRef, type ImageLayout, type ImageMapping, type MemWrite } from '../trace/events.js';
import { protOfPerms, PROT_WRITE } from '../kernel/mman.js';
import type { Mapping } from './maps.js';

/** PROT_* of a maps line's permissions ("r-xp"). */
export function protOf(perms: string): number {
  return Number(protOfPerms(perms));
}

/** A maps line's name without the " (deleted)" the kernel adds for a file gone from its directory. */
export function fileName(m: Mapping): string {
  return m.name.replace(/ \(deleted\)$/, '');
}

/** What a mapping of a fresh image is, from its name in /proc/PID/maps. */
export function kindOf(m: Mapping): ImageKind {
  if (m.name === '[stack]') return ImageKind.Stack;
  if (m.name === '[vdso]') return ImageKind.Vdso;
  if (m.name.startsWith('[vvar')) return ImageKind.Vvar;
  if (m.name === '[vsyscall]') return ImageKind.Vsyscall;
  if (m.name.startsWith('/')) return ImageKind.File;
  return ImageKind.Anon; // '' or [heap] (a .bss ending at the brk start is shown as the heap)
}

/** The kernel's own mappings, which replay moves but never makes. */
export function isSpecial(kind: ImageKind): boolean {
  return kind === ImageKind.Vdso || kind === ImageKind.Vvar || kind === ImageKind.Vsyscall;
}

/**
 * The mappings of a fresh image. `fileOf` names the copy of a file mapping's file (by its maps name);
 * `contents` reads a mapping's bytes, `original` what its file holds there (null: anonymous, zeros):
 * kept are the whole vDSO and, of writable private mappings, the pages that differ from the original.
 * Null when a file is mapped whose copy `fileOf` does not know.
 */
export function imageMappings(maps: Mapping[], fileOf: (name: string) => FileRef | null,
  contents: (m: Mapping) => Uint8Array, original: (m: Mapping) => Uint8Array | null): ImageMapping[] | null {
  const out: ImageMapping[] = [];
  for (const m of maps) {
    const kind = kindOf(m);
    const prot = protOf(m.perms);
    let file: FileRef | null = null;
    if (kind === ImageKind.File) {
      file = fileOf(fileName(m));
      if (!file) return null; // a file rewind kept no copy of: no image
    }
    let pieces: MemWrite[] = [];
    if (kind === ImageKind.Vdso) pieces = [{ addr: m.start, data: contents(m) }];
    else if ((kind === ImageKind.File || kind === ImageKind.Anon) && (prot & Number(PROT_WRITE)) !== 0) {
      pieces = changedPages(m.start, contents(m), kind === ImageKind.File ? original(m) : null);
    }
    out.push({ start: m.start, end: m.end, prot, kind, file, offset: m.offset, name: m.name, pieces });
  }
  return out;
}

const PAGE = 4096;

/** The runs of pages of `now` (at `start`) that differ from `base` (zeros where base is null or short). */
export function changedPages(start: bigint, now: Uint8Array, base: Uint8Array | null): MemWrite[] {
  const out: MemWrite[] = [];
  const zero = new Uint8Array(PAGE);
  let run = -1;
  const close = (end: number) => {
    if (run >= 0) out.push({ addr: start + BigInt(run), data: now.slice(run, end) });
    run = -1;
  };
  // Compared through Buffer views (Buffer.from(array) would copy every page).
  const nowView = Buffer.from(now.buffer, now.byteOffset, now.length);
  for (let o = 0; o < now.length; o += PAGE) {
    const page = nowView.subarray(o, o + PAGE);
    const was = base && o < base.length ? base.subarray(o, o + PAGE) : zero.subarray(0, page.length);
    const same = was.length === page.length ? page.equals(was)
      : page.subarray(0, was.length).equals(was) && page.subarray(was.length).every((b) => b === 0);
    if (same) close(o);
    else if (run < 0) run = o;
  }
  close(now.length);
  return out;
}

/** The mm layout of a process, from /proc/PID/stat (fields 26-28 and 45-51); brk is its start after an exec. */
export function readLayout(pid: number): ImageLayout {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name, which may hold spaces and parentheses: field 3 is the first.
  const f = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  const at = (n: number) => BigInt(f[n - 3]!);
  const startBrk = at(47);
  return {
    startCode: at(26), endCode: at(27), startStack: at(28), startData: at(45), endData: at(46),
    startBrk, brk: startBrk, argStart: at(48), argEnd: at(49), envStart: at(50), envEnd: at(51),
  };
}

/** The auxiliary vector the kernel saved for the process (/proc/PID/auxv). */
export function readAuxv(pid: number): Uint8Array {
  return new Uint8Array(readFileSync(`/proc/${pid}/auxv`));
}
