// gdb layer: packet framing of the remote serial protocol. Assembles `$data#cc` packets, acks and
// out-of-band ^C from a byte stream cut anywhere, with bounded memory. Imports only encoding.ts.
//
// Facts (gdb manual, "Overview" of the Remote Protocol appendix): the checksum is the modulo-256
// sum of the data, two hex digits; `+`/`-` acknowledge; 0x03 outside a packet is an interrupt;
// `*` followed by n+29 repeats the previous character n more times (run-length encoding).

import { checksum, hexByte, latin1Bytes } from './encoding.js';

export type FrameEvent =
  /** A packet with a good checksum; the data is run-length decoded but not `}`-unescaped. */
  | { type: 'packet'; data: Uint8Array }
  /** A complete packet whose checksum did not match (or was not hex): nack it. */
  | { type: 'bad-checksum' }
  /** A packet longer than the cap was discarded up to its `#xx`. */
  | { type: 'oversized' }
  | { type: 'ack' }
  | { type: 'nack' }
  | { type: 'interrupt' };

const enum State {
  /** Between packets: waiting for `$`; `+`, `-`, ^C are events, anything else is skipped. */
  Idle,
  Data,
  Check1,
  Check2,
  /** Inside an oversized packet: drop bytes until `#xx` (then report) or `$` (new packet). */
  Discard,
  DiscardCheck1,
  DiscardCheck2,
}

const DOLLAR = 0x24;
const HASH = 0x23;
const STAR = 0x2a;

export const DEFAULT_MAX_PACKET_BYTES = 1 << 20;

export class PacketReader {
  private state = State.Idle;
  private buf: Uint8Array;
  private len = 0;
  private check = 0;

  /** `maxPacketBytes` caps the buffered (and the run-length decoded) data of one packet. */
  constructor(private readonly maxPacketBytes = DEFAULT_MAX_PACKET_BYTES) {
    this.buf = new Uint8Array(Math.min(4096, maxPacketBytes));
  }

  /** Feeds bytes; returns the events they complete, in order. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case State.Idle:
          if (b === DOLLAR) this.startPacket();
          else if (b === 0x2b) events.push({ type: 'ack' });
          else if (b === 0x2d) events.push({ type: 'nack' });
          else if (b === 0x03) events.push({ type: 'interrupt' });
          break; // anything else is line noise
        case State.Data:
          if (b === HASH) this.state = State.Check1;
          else if (b === DOLLAR) this.startPacket(); // previous packet was truncated: drop it
          else if (this.len >= this.maxPacketBytes) this.state = State.Discard;
          else this.append(b);
          break;
        case State.Check1:
          this.check = hexDigit(b) << 4;
          this.state = State.Check2;
          break;
        case State.Check2: {
          const lo = hexDigit(b);
          const data = this.buf.subarray(0, this.len);
          this.state = State.Idle;
          if (this.check < 0 || lo < 0 || (this.check | lo) !== checksum(data)) {
            events.push({ type: 'bad-checksum' });
          } else {
            const decoded = decodeRunLength(data, this.maxPacketBytes);
            events.push(decoded === null ? { type: 'oversized' } : { type: 'packet', data: decoded });
          }
          this.shrink();
          break;
        }
        case State.Discard:
          if (b === HASH) this.state = State.DiscardCheck1;
          else if (b === DOLLAR) this.startPacket();
          break;
        case State.DiscardCheck1:
          this.state = State.DiscardCheck2;
          break;
        case State.DiscardCheck2:
          this.state = State.Idle;
          events.push({ type: 'oversized' });
          this.shrink();
          break;
      }
    }
    return events;
  }

  /** Bytes currently held for an incomplete packet (for tests of the memory bound). */
  get buffered(): number {
    return this.len;
  }

  private startPacket(): void {
    this.state = State.Data;
    this.len = 0;
  }

  private append(b: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(Math.min(this.buf.length * 2, this.maxPacketBytes));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }

  /** Gives back a large buffer once its packet is done. */
  private shrink(): void {
    this.len = 0;
    if (this.buf.length > 65536) this.buf = new Uint8Array(4096);
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Expands `X*n` runs (n - 29 extra copies of X). A `*` with nothing before it, or whose count
 * byte is outside ' '..'~', is kept literally. Returns a copy, or null if it would exceed `max`.
 */
export function decodeRunLength(data: Uint8Array, max: number): Uint8Array | null {
  if (!data.includes(STAR)) return data.slice();
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    const count = data[i + 1];
    if (b === STAR && i > 0 && count !== undefined && count >= 0x20 && count <= 0x7e) {
      const prev = data[i - 1]!;
      for (let k = 0; k < count - 29; k++) out.push(prev);
      i++;
    } else {
      out.push(b);
    }
    if (out.length > max) return null;
  }
  return Uint8Array.from(out);
}

/** Frames data (already escaped where binary) as `$data#cc`. */
export function framePacket(data: Uint8Array | string): Uint8Array {
  const body = typeof data === 'string' ? latin1Bytes(data) : data;
  const out = new Uint8Array(body.length + 4);
  out[0] = DOLLAR;
  out.set(body, 1);
  out[body.length + 1] = HASH;
  out.set(latin1Bytes(hexByte(checksum(body))), body.length + 2);
  return out;
}
