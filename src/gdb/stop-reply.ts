// gdb layer: stop-reply packets (gdb manual, "Stop Reply Packets"): `T AA n1:r1;…` for a stopped
// thread, `W AA` for an exit, `X AA` for death by a signal. Imports nothing from rewind outside
// src/gdb.

import { hexByte } from './encoding.js';
import { linuxToGdbSignal } from './signals.js';
import type { StopReason } from './target.js';
import { formatThreadId } from './thread-id.js';

export interface StopReplyOptions {
  /** Thread and process ids use the `pPID.TID` form and W/X carry `;process:PID`. */
  multiprocess: boolean;
  /** gdb announced swbreak+ / hwbreak+ in qSupported; without it the fields must not be sent. */
  swbreak: boolean;
  hwbreak: boolean;
}

const WATCH_FIELD = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;

export function formatStopReply(stop: StopReason, opts: StopReplyOptions): string {
  switch (stop.kind) {
    case 'exited':
    case 'terminated': {
      const letter = stop.kind === 'exited' ? 'W' : 'X';
      const value = stop.kind === 'exited' ? stop.status & 0xff : linuxToGdbSignal(stop.signal);
      const process = opts.multiprocess ? `;process:${stop.pid.toString(16)}` : '';
      return `${letter}${hexByte(value)}${process}`;
    }
    case 'signal': {
      let reply = `T${hexByte(linuxToGdbSignal(stop.signal))}thread:${formatThreadId(stop.thread, opts.multiprocess)};`;
      const event = stop.event;
      if (event === undefined) return reply;
      switch (event.type) {
        case 'swbreak':
          if (opts.swbreak) reply += 'swbreak:;';
          break;
        case 'hwbreak':
          if (opts.hwbreak) reply += 'hwbreak:;';
          break;
        case 'watch':
          reply += `${WATCH_FIELD[event.access]}:${BigInt.asUintN(64, event.addr).toString(16)};`;
          break;
        case 'replaylog':
          reply += `replaylog:${event.edge};`;
          break;
      }
      return reply;
    }
  }
}
