// Code patcher: finds rdtsc, rdtscp and cpuid instructions in a file's functions with a real x86
// decoder (iced-x86, a complete decoder compiled to WebAssembly, loaded only when a file is not in the
// site cache). A byte search alone is wrong: 0f 31 also occurs inside other instructions (an immediate,
// a displacement). The byte search only picks which functions to decode, from their start to their
// end; a site is an instruction the decoder starts exactly there.
import { createRequire } from 'node:module';
import { TrappedInsn } from '../trace/events.js';
import type { Range } from './elf-code.js';

/** A trapping instruction at a file offset. */
export interface FileSite {
  offset: number;
  insn: TrappedInsn;
}

/** The bytes of each instruction rewind patches. */
export const INSN_BYTES: Record<TrappedInsn, readonly number[]> = {
  [TrappedInsn.Rdtsc]: [0x0f, 0x31],
  [TrappedInsn.Rdtscp]: [0x0f, 0x01, 0xf9],
  [TrappedInsn.Cpuid]: [0x0f, 0xa2],
  [TrappedInsn.Syscall]: [0x0f, 0x05],
};

interface IcedDecoder {
  ip: bigint;
  readonly canDecode: boolean;
  decodeOut(i: IcedInstruction): void;
  free(): void;
}
interface IcedInstruction {
  readonly ip: bigint;
  readonly length: number;
  readonly mnemonic: number;
  free(): void;
}
interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => IcedDecoder;
  Instruction: new () => IcedInstruction;
  Mnemonic: Record<string, number>;
}

let iced: Iced | null = null;

function load(): Iced {
  iced ??= createRequire(import.meta.url)('iced-x86') as Iced;
  return iced;
}

/** Offsets in file where the bytes of a patchable instruction start (candidates, not yet decoded). */
function candidates(file: Uint8Array): number[] {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const out: number[] = [];
  for (let at = buf.indexOf(0x0f); at >= 0 && at + 1 < buf.length; at = buf.indexOf(0x0f, at + 1)) {
    const b = buf[at + 1];
    if (b === 0x31 || b === 0xa2 || (b === 0x01 && buf[at + 2] === 0xf9)) out.push(at);
  }
  return out;
}

/**
 * The rdtsc, rdtscp and cpuid instructions inside functions (sorted file-offset ranges, possibly
 * overlapping). A candidate counts when decoding any function that holds it, from that function's
 * start, lands on an instruction beginning at it.
 */
export function findSites(file: Uint8Array, functions: readonly Range[]): FileSite[] {
  const hits = candidates(file);
  if (hits.length === 0) return [];
  const toDecode = new Set<Range>();
  for (const at of hits) {
    for (const f of functions) {
      if (f.start > at) break;
      if (at < f.end) toDecode.add(f);
    }
  }
  if (toDecode.size === 0) return [];
  const x = load();
  const wanted = new Map<number, TrappedInsn>([
    [x.Mnemonic['Rdtsc']!, TrappedInsn.Rdtsc], [x.Mnemonic['Rdtscp']!, TrappedInsn.Rdtscp], [x.Mnemonic['Cpuid']!, TrappedInsn.Cpuid],
  ]);
  const found = new Map<number, TrappedInsn>();
  const instr = new x.Instruction();
  try {
    for (const f of toDecode) {
      const decoder = new x.Decoder(64, file.subarray(f.start, f.end), 0);
      try {
        decoder.ip = BigInt(f.start);
        while (decoder.canDecode) {
          decoder.decodeOut(instr);
          const insn = wanted.get(instr.mnemonic);
          if (insn !== undefined && plain(file, Number(instr.ip), instr.length, insn)) found.set(Number(instr.ip), insn);
        }
      } finally {
        decoder.free();
      }
    }
  } finally {
    instr.free();
  }
  return [...found].sort((a, b) => a[0] - b[0]).map(([offset, insn]) => ({ offset, insn }));
}

/** The instruction is exactly its usual bytes (no prefixes), so the patch and its undoing are exact. */
function plain(file: Uint8Array, at: number, length: number, insn: TrappedInsn): boolean {
  const bytes = INSN_BYTES[insn];
  return length === bytes.length && bytes.every((b, i) => file[at + i] === b);
}
