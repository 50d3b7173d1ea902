// gdb layer: the TCP server. Serves one DebugTarget to one gdb client at a time over
// net.createServer; a client that hangs up without detaching can be followed by another. Resolves
// when a client detaches or kills, when a client in extended mode hangs up (its kills only end the
// program, which `run` starts again), or when `signal` aborts. Imports nothing from rewind outside
// src/gdb.

import net from 'node:net';
import { GdbConnection, type ConnectionEnd } from './connection.js';
import { GdbSession, type SessionOptions } from './session.js';
import type { DebugTarget } from './target.js';

export interface ServeOptions extends SessionOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port; see onListening). */
  port?: number;
  /** Called once listening, with the bound address (print the `target remote` line here). */
  onListening?: (address: { host: string; port: number }) => void;
  /** Stops serving: closes the listener and the client. */
  signal?: AbortSignal;
  /** Hard cap on one incoming packet's bytes; default 1 MiB. */
  maxPacketBytes?: number;
  /** A client that leaves this many reply bytes unread is disconnected; default 16 MiB. */
  maxUnreadBytes?: number;
}

export interface ServeResult {
  /** 'disconnect': a client in extended mode hung up. */
  reason: 'detach' | 'kill' | 'disconnect' | 'aborted';
}

export function serveGdb(target: DebugTarget, opts: ServeOptions = {}): Promise<ServeResult> {
  const log = opts.log ?? (() => {});
  const maxUnread = opts.maxUnreadBytes ?? 16 << 20;
  return new Promise<ServeResult>((resolve, reject) => {
    let active: net.Socket | null = null;
    let settled = false;
    const server = net.createServer();

    const finish = (result: ServeResult) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      server.close();
      resolve(result);
    };
    const onAbort = () => {
      active?.destroy();
      try {
        target.interrupt();
      } catch (err) {
        log(`gdb: interrupt failed: ${String(err)}`);
      }
      finish({ reason: 'aborted' });
    };

    server.on('connection', (socket) => {
      if (active !== null || settled) {
        log('gdb: refusing a second client');
        socket.destroy();
        return;
      }
      active = socket;
      socket.setNoDelay(true);
      const session = new GdbSession(target, opts);
      const connection = new GdbConnection(
        session,
        (bytes) => {
          if (socket.destroyed) return;
          socket.write(bytes);
          if (socket.writableLength > maxUnread) {
            log('gdb: client is not reading replies; disconnecting');
            socket.destroy();
          }
        },
        { maxPacketBytes: opts.maxPacketBytes, log },
      );
      socket.on('data', (chunk: Buffer) =>
        connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      );
      socket.on('error', (err) => log(`gdb: socket error: ${err.message}`));
      socket.on('close', () => connection.closed());
      void connection.done.then((end: ConnectionEnd) => {
        if (end === 'closed') {
          if (session.extendedMode) finish({ reason: 'disconnect' });
          else if (active === socket) active = null;
          return;
        }
        socket.end(() => socket.destroy());
        finish({ reason: end });
      });
    });

    server.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    if (opts.signal?.aborted) {
      finish({ reason: 'aborted' });
      return;
    }
    opts.signal?.addEventListener('abort', onAbort);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address() as net.AddressInfo;
      opts.onListening?.({ host: addr.address, port: addr.port });
    });
  });
}
