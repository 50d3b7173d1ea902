// gdb layer: the objects behind qXfer:OBJECT:read (gdb manual, "qXfer"): features (our target
// description), auxv, exec-file and libraries-svr4 (from the target). Replies `m`/`l` + escaped
// data, at most one packet long. An object is fetched when gdb reads offset 0 and kept for the
// following chunks, so a document cannot change under a multi-packet read.
// Imports nothing from rewind outside src/gdb.

import { concatBytes, escapeBinary, latin1Bytes, parseHexInt, utf8Bytes } from './encoding.js';
import type { DebugTarget } from './target.js';

export type XferResult =
  | { type: 'data'; reply: Uint8Array }
  /** The object is not provided: empty reply. */
  | { type: 'unsupported' }
  /** Unknown annex or bad request: `E00` as the manual specifies. */
  | { type: 'error'; code: string };

/** Objects the target provides, for qSupported. */
export function xferObjects(target: DebugTarget): string[] {
  const objects = ['features'];
  if (target.auxv) objects.push('auxv');
  if (target.execFile) objects.push('exec-file');
  if (target.librariesSvr4) objects.push('libraries-svr4');
  return objects;
}

const MAX_CACHED = 16;

export class XferObjects {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    private readonly target: DebugTarget,
    private readonly description: ReadonlyMap<string, string>,
    private readonly packetSize: number,
  ) {}

  /** Forget fetched objects (the target moved). */
  invalidate(): void {
    this.cache.clear();
  }

  async read(object: string, annex: string, offset: number, length: number, pid: number): Promise<XferResult> {
    const key = `${object}:${annex}`;
    let data = offset === 0 ? undefined : this.cache.get(key);
    if (data === undefined) {
      const fetched = await this.fetch(object, annex, pid);
      if (!(fetched instanceof Uint8Array)) return fetched;
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, fetched);
      data = fetched;
    }
    if (offset >= data.length) return { type: 'data', reply: latin1Bytes('l') };
    const want = data.subarray(offset, offset + Math.min(length, this.packetSize));
    const { escaped, consumed } = escapeBinary(want, this.packetSize - 1);
    const more = offset + consumed < data.length;
    return { type: 'data', reply: concatBytes(latin1Bytes(more ? 'm' : 'l'), escaped) };
  }

  private async fetch(object: string, annex: string, pid: number): Promise<Uint8Array | XferResult> {
    const t = this.target;
    switch (object) {
      case 'features': {
        const doc = this.description.get(annex);
        return doc === undefined ? { type: 'error', code: 'E00' } : utf8Bytes(doc);
      }
      case 'auxv':
        if (!t.auxv) return { type: 'unsupported' };
        return t.auxv(pid);
      case 'exec-file': {
        if (!t.execFile) return { type: 'unsupported' };
        const annexPid = annex === '' ? pid : parseHexInt(annex);
        if (annexPid === null) return { type: 'error', code: 'E00' };
        return utf8Bytes(await t.execFile(annexPid));
      }
      case 'libraries-svr4':
        if (!t.librariesSvr4) return { type: 'unsupported' };
        return utf8Bytes(await t.librariesSvr4(pid));
      default:
        return { type: 'unsupported' };
    }
  }
}
