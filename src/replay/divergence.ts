// Replay: what replay reports when the program is not where the recording was.
import { REG_NAMES } from '../kernel/regs.js';

/** Replay diverged from the recording. `message` is one line; `details` follow it. */
export class DivergenceError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
  }
}

/** The recording ended before the program did (the recorder was killed). */
export class TraceEndedEarly extends Error {}

const hex = (v: bigint) => '0x' + v.toString(16);

/** The first register that differs, as "rdi: expected 0x3, got 0x4", or null. */
export function regsDifference(expected: BigUint64Array, actual: BigUint64Array, ignore: readonly number[] = []): string | null {
  for (let i = 0; i < expected.length; i++) {
    if (ignore.includes(i)) continue;
    if (expected[i] !== actual[i]) return `${REG_NAMES[i]}: expected ${hex(expected[i]!)}, got ${hex(actual[i]!)}`;
  }
  return null;
}
