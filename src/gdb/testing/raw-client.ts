// TEST-ONLY: a raw gdb-protocol client over TCP for the gdb layer's end-to-end tests. It frames
// packets with its own checksum loop (independent of framing.ts) and reads replies as text.

import net from 'node:net';

export class RawClient {
  private received = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.received += text;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** `$data#cc` with the checksum summed here. */
  static frame(data: string): string {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum + data.charCodeAt(i)) % 256;
    return `$${data}#${sum.toString(16).padStart(2, '0')}`;
  }

  write(raw: string): void {
    this.socket.write(raw, 'latin1');
  }

  send(data: string): void {
    this.write(RawClient.frame(data));
  }

  /** Waits for `count` bytes of raw output (acks) and returns them. */
  async take(count: number, timeoutMs = 5000): Promise<string> {
    await this.until(() => this.received.length >= count, timeoutMs);
    const out = this.received.slice(0, count);
    this.received = this.received.slice(count);
    return out;
  }

  /**
   * Waits for the next complete packet, skipping acks before it; returns its data. Checks the
   * checksum and, unless `noAck`, acknowledges it.
   */
  async reply(opts: { noAck?: boolean; timeoutMs?: number } = {}): Promise<string> {
    const re = /^[+-]*\$([^#]*)#([0-9a-f]{2})/;
    await this.until(() => re.test(this.received), opts.timeoutMs ?? 5000);
    const m = re.exec(this.received)!;
    this.received = this.received.slice(m[0].length);
    if (RawClient.frame(m[1]!) !== `$${m[1]}#${m[2]}`) throw new Error(`bad checksum in ${m[0]}`);
    if (!opts.noAck) this.write('+');
    return m[1]!;
  }

  /** Sends a packet and returns its reply (ack mode: expects the server's '+' first). */
  async ask(data: string, opts: { noAck?: boolean } = {}): Promise<string> {
    this.send(data);
    if (!opts.noAck) {
      const ack = await this.take(1);
      if (ack !== '+') throw new Error(`expected +, got ${JSON.stringify(ack)}`);
    }
    return this.reply(opts);
  }

  /** Resolves once the server closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  get pending(): string {
    return this.received;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async until(ready: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.closed && !ready()) throw new Error(`connection closed; have ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; have ${JSON.stringify(this.received.slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
