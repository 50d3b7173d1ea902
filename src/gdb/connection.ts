// gdb layer: one client connection, transport-free. Feeds received bytes through the framing,
// handles acks, retransmission and no-ack mode, queues packets for the session one at a time and
// passes ^C through while a resume runs. Imports nothing from rewind outside src/gdb.

import { DEFAULT_MAX_PACKET_BYTES, framePacket, PacketReader } from './framing.js';
import { latin1Bytes } from './encoding.js';
import type { GdbSession } from './session.js';

export type ConnectionEnd = 'detach' | 'kill' | 'closed';

export interface ConnectionOptions {
  /** Hard cap on one packet's buffered bytes; longer packets are discarded. Default 1 MiB. */
  maxPacketBytes?: number;
  /** Packets waiting while one is handled (gdb sends one at a time); extra ones are dropped. */
  maxQueued?: number;
  log?: (line: string) => void;
}

const MAX_RETRANSMITS = 8;
const PLUS = latin1Bytes('+');
const MINUS = latin1Bytes('-');

export class GdbConnection {
  private readonly reader: PacketReader;
  private readonly queue: Uint8Array[] = [];
  private readonly maxQueued: number;
  private readonly log: (line: string) => void;
  private ackMode = true;
  private busy = false;
  private ended = false;
  private lastSent: Uint8Array | null = null;
  /** The packet being handled, until its reply is sent. */
  private inFlight: Uint8Array | null = null;
  private retransmits = 0;
  private finish!: (end: ConnectionEnd) => void;
  /** Settles when the client detached or killed, or the transport closed (after work in flight). */
  readonly done: Promise<ConnectionEnd>;

  constructor(
    private readonly session: GdbSession,
    /** Writes raw bytes to the client. */
    private readonly write: (bytes: Uint8Array) => void,
    opts: ConnectionOptions = {},
  ) {
    this.reader = new PacketReader(opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES);
    this.maxQueued = opts.maxQueued ?? 64;
    this.log = opts.log ?? (() => {});
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Bytes from the client. */
  receive(chunk: Uint8Array): void {
    if (this.ended) return;
    for (const event of this.reader.push(chunk)) {
      switch (event.type) {
        case 'packet':
          if (this.ackMode) this.write(PLUS);
          if (this.ackMode && this.isResent(event.data)) {
            // gdb sends a packet only once it has the reply to the previous one: the same packet again
            // before that reply went out is a retransmission (our ack came late, say while a slow
            // request blocked the server), not a new request. Answering it twice would give gdb a
            // reply to a packet it no longer waits for (QStartNoAckMode: "conflicting enabled responses").
            this.log('gdb: a resent packet dropped (answered once)');
            break;
          }
          if (this.queue.length >= this.maxQueued) {
            this.log('gdb: too many packets queued; dropping one');
            break;
          }
          this.queue.push(event.data);
          break;
        case 'bad-checksum':
          if (this.ackMode) this.write(MINUS);
          break;
        case 'oversized':
          // The packet is gone, but gdb waits for a reply: acknowledge it and answer E01.
          this.log('gdb: packet longer than the limit discarded');
          if (this.ackMode) this.write(PLUS);
          this.send(latin1Bytes('E01'));
          break;
        case 'ack':
          this.retransmits = 0;
          break;
        case 'nack':
          if (this.ackMode && this.lastSent !== null && this.retransmits++ < MAX_RETRANSMITS) {
            this.write(this.lastSent);
          }
          break;
        case 'interrupt':
          if (this.session.running || this.busy || this.queue.length > 0) this.session.interrupt();
          break;
      }
    }
    void this.pump();
  }

  /** Whether data is the packet being handled, or the last one waiting, byte for byte. */
  private isResent(data: Uint8Array): boolean {
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1]! : this.inFlight;
    return last !== null && last.length === data.length && last.every((b, i) => b === data[i]);
  }

  /** The transport closed: stop any resume and settle once in-flight work is done. */
  closed(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    if (this.session.running || this.busy) this.session.interrupt();
    if (!this.busy) this.finish('closed');
  }

  private send(payload: Uint8Array): void {
    const framed = framePacket(payload);
    this.lastSent = framed;
    this.retransmits = 0;
    this.write(framed);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let data: Uint8Array | undefined;
      while (!this.ended && (data = this.queue.shift()) !== undefined) {
        this.inFlight = data;
        const reply = await this.session.handle(data);
        if (this.ended && reply.end === undefined) break;
        for (const packet of reply.packets) this.send(packet);
        this.inFlight = null;
        if (reply.startNoAck) this.ackMode = false;
        if (reply.end !== undefined) {
          this.ended = true;
          this.finish(reply.end);
          return;
        }
      }
      this.session.clearPendingInterrupt();
    } catch (err) {
      // Only the transport can throw here (the session never does): treat it as a hang-up.
      this.log(`gdb: connection failed: ${String(err)}`);
      this.ended = true;
    } finally {
      this.inFlight = null;
      this.busy = false;
      if (this.ended) this.finish('closed');
    }
  }
}
