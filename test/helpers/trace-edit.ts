// Tests that change a recorded trace's events (to check that replay reports the divergence), and read
// a test program's symbols.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { TempSpace } from './harness.js';

/**
 * A copy of the trace (in `space`) whose events `edit` changed: it is given each chunk's frames and
 * says whether it changed them; the chunks are inflated, changed and written back with their lengths
 * and CRC. It must change exactly one chunk. files/ is copied, never written: the copy's events file
 * is a new file.
 */
export function tamperedCopy(space: TempSpace, traceDir: string, edit: (frames: Buffer) => boolean): string {
  const copy = path.join(space.mkdir('tampered-'), 'trace');
  fs.cpSync(traceDir, copy, { recursive: true });
  const file = path.join(copy, 'events');
  const bytes = fs.readFileSync(file);
  const parts: Buffer[] = [bytes.subarray(0, 16)];
  let at = 16;
  let found = 0;
  for (;;) {
    const rawLen = bytes.readUInt32LE(at);
    const compressedLen = bytes.readUInt32LE(at + 4);
    if (rawLen === 0 && compressedLen === 0) {
      parts.push(bytes.subarray(at));
      break;
    }
    const raw = zlib.inflateRawSync(bytes.subarray(at + 12, at + 12 + compressedLen));
    if (edit(raw)) found++;
    const packed = zlib.deflateRawSync(raw);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(raw.length, 0);
    head.writeUInt32LE(packed.length, 4);
    head.writeUInt32LE(zlib.crc32(packed), 8);
    parts.push(head, packed);
    at += 12 + compressedLen;
  }
  assert.equal(found, 1, 'one chunk of the events changed');
  fs.rmSync(file);
  fs.writeFileSync(file, Buffer.concat(parts));
  return copy;
}

/** The address of a function or variable of a PIE test program, where ADDR_NO_RANDOMIZE puts it (0x555555554000). */
export function pieSymbol(exe: string, name: string): bigint {
  const line = execFileSync('nm', [exe]).toString().split('\n').find((l) => / [TtBbDd] /.test(l) && l.endsWith(` ${name}`));
  assert.ok(line, `${name} is in the symbol table`);
  return 0x555555554000n + BigInt(`0x${line.split(' ')[0]}`);
}
