// Code patcher: the function around an address of a mapped file, for replay's code work (the point
// trap, the debugger's reverse step): its range from the file's tables (symbol tables and .eh_frame,
// elf-code.ts), with the padding around it, and its instructions decoded by iced-x86.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mapFilesPath, type Mapping } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import { functionAround, functionPairs, paddingAround, readFunctionTables } from './elf-code.js';
import { cachedBytes, storeBytes, type FileIdentity } from './site-cache.js';

/** Padding further than this from a function (or a function's edge) is not looked for. */
const PAD_WINDOW = 64;

export interface IcedInstruction {
  readonly ip: bigint;
  readonly length: number;
  readonly flowControl: number;
  readonly isJccShortOrNear: boolean;
  readonly isJmpShortOrNear: boolean;
  readonly isCallNear: boolean;
  readonly nearBranchTarget: bigint;
  readonly mnemonic: number;
  free(): void;
}
export interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => {
    ip: bigint; readonly canDecode: boolean; decode(): IcedInstruction; free(): void;
  };
  BlockEncoder: new (bitness: number, options: number) => { add(i: IcedInstruction): void; encode(rip: bigint): Uint8Array; free(): void };
  Mnemonic: Record<string, number>;
}
let iced: Iced | null = null;
/** iced-x86, loaded on first use (some 60 ms: a replay that needs no decoding never loads it). */
export const loadIced = (): Iced => (iced ??= createRequire(import.meta.url)('iced-x86') as Iced);

/** A function and the padding around it ([before, start) and [end, after)), as file offsets or addresses. */
export interface Span<T> {
  readonly start: T;
  readonly end: T;
  readonly before: T;
  readonly after: T;
}

/**
 * The function ranges of each file asked about, by file identity (device, inode, size, mtime), and
 * functionAt's answers by file offset (a loop's points repeat).
 */
const fileFunctions = new Map<string, { pairs: Float64Array; around: Map<number, Span<number> | null> }>();

/**
 * The function ranges are kept on disk too (site-cache.ts), as functionPairs' numbers: reading a
 * 99 MB node binary's tables costs each replay of node ~150 ms, its cached 3 MB of pairs ~2 ms.
 */
const PAIRS_KIND = 'functions-v1';

function pairsOnDisk(id: FileIdentity): Float64Array | undefined {
  const bytes = cachedBytes(PAIRS_KIND, id);
  if (!bytes || bytes.length % 16 !== 0) return undefined;
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const copy = new Float64Array(bytes.length / 8);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/**
 * The function (as file ranges say) holding addr, as an address range. The mapped file's function
 * ranges are read from its tables only (not its code: a 99 MB node binary is 7 MB of tables), once
 * per file identity, and kept as pairs of numbers for later points.
 */
export function functionAt(task: Task, m: Mapping, addr: bigint): Span<bigint> | null {
  const path = mapFilesPath(task.tid, m);
  let file: { pairs: Float64Array; around: Map<number, Span<number> | null> } | undefined;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    file = fileFunctions.get(key);
    let pairs = file ? undefined : pairsOnDisk(st);
    if (!file && !pairs) {
      const readAt = (buf: Uint8Array, pos: number) => {
        for (let done = 0; done < buf.length;) {
          const n = readSync(fd, buf, done, buf.length - done, pos + done);
          if (n <= 0) throw new Error(`short read of ${path}`);
          done += n;
        }
      };
      pairs = functionPairs(readFunctionTables(Number(st.size), readAt) ?? readFileSync(fd));
      storeBytes(PAIRS_KIND, st, new Uint8Array(pairs.buffer, pairs.byteOffset, pairs.byteLength));
    }
    if (!file) fileFunctions.set(key, (file = { pairs: pairs!, around: new Map() }));
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const off = Number(addr - m.start + m.offset);
  let best = file.around.get(off);
  if (best === undefined) {
    const fn = functionAround(file.pairs, off);
    best = fn && { ...fn, ...paddingAround(file.pairs, fn, PAD_WINDOW) };
    file.around.set(off, best);
  }
  if (!best) return null;
  const base = m.start - m.offset;
  const at = (o: number) => base + BigInt(o);
  // Padding outside the mapping (another segment's) is not looked at.
  const before = at(best.before) >= m.start ? at(best.before) : at(best.start);
  const after = at(best.after) <= m.end ? at(best.after) : at(best.end);
  return { start: at(best.start), end: at(best.end), before, after };
}

/** Decodes bytes (the code at address `at`) from address `from` to `to`. The caller frees the instructions. */
export function decodeRange(x: Iced, bytes: Uint8Array, at: bigint, from: bigint, to: bigint): IcedInstruction[] {
  const decoder = new x.Decoder(64, bytes.subarray(Number(from - at), Number(to - at)), 0);
  const out: IcedInstruction[] = [];
  try {
    decoder.ip = from;
    while (decoder.canDecode) out.push(decoder.decode());
  } finally {
    decoder.free();
  }
  return out;
}
