// gdb layer: parser for the query family (q…, Q…, and the v… packets that are not resumes):
// qSupported, qXfer, qRcmd, thread lists and the small fixed queries (gdb manual, "General Query
// Packets"); vFile goes to parse-host-io.ts. Pure; imports nothing from rewind outside src/gdb.

import { hexDecodeText, parseHexInt } from './encoding.js';
import { parseHostIo } from './parse-host-io.js';
import { malformed, unsupported, type Request } from './requests.js';
import { parseThreadId } from './thread-id.js';

/** `qSupported[:f1;f2…]`, each `name+`, `name-`, `name?` or `name=value`. */
function parseSupported(text: string): Request {
  const features = new Map<string, string>();
  const list = text.startsWith('qSupported:') ? text.slice(11).split(';') : [];
  for (const item of list.slice(0, 256)) {
    const eq = item.indexOf('=');
    if (eq >= 0) features.set(item.slice(0, eq), item.slice(eq + 1));
    else if (/[+\-?]$/.test(item)) features.set(item.slice(0, -1), item.slice(-1));
  }
  return { kind: 'query-supported', features };
}

/** `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH` (writes are not supported). */
function parseXfer(text: string): Request {
  const parts = text.split(':');
  if (parts.length < 5) return malformed('qXfer needs OBJECT:OP:ANNEX:OFFSET,LENGTH');
  const [, object, op] = parts as [string, string, string];
  if (op !== 'read') return unsupported(text);
  const range = parts[parts.length - 1]!.split(',');
  const annex = parts.slice(3, -1).join(':');
  const offset = range.length === 2 ? parseHexInt(range[0]!) : null;
  const length = range.length === 2 ? parseHexInt(range[1]!) : null;
  if (offset === null || length === null) return malformed('qXfer needs hex OFFSET,LENGTH');
  return { kind: 'xfer-read', object, annex, offset, length };
}

/** `vRun;PROGRAM[;ARG]…`, each part hex-encoded text. */
function parseRun(text: string): Request {
  if (!text.startsWith('vRun;')) return malformed('vRun needs ;PROGRAM');
  const parts = text.slice(5).split(';').map(hexDecodeText);
  if (parts.some((p) => p === null)) return malformed('vRun takes hex-encoded PROGRAM;ARG…');
  const [program, ...args] = parts as string[];
  return { kind: 'run', program: program!, args };
}

export function parseQuery(text: string): Request {
  const name = text.split(/[:,;]/, 1)[0]!;
  switch (name) {
    case 'qSupported':
      return parseSupported(text);
    case 'QStartNoAckMode':
      return { kind: 'start-no-ack' };
    case 'qXfer':
      return parseXfer(text);
    case 'qfThreadInfo':
    case 'qsThreadInfo':
      return { kind: 'thread-list', first: name === 'qfThreadInfo' };
    case 'qC':
      return text === 'qC' ? { kind: 'current-thread' } : unsupported(text);
    case 'qAttached':
      return { kind: 'attached' };
    case 'qSymbol':
      return { kind: 'symbol' };
    case 'qRcmd': {
      const command = text.startsWith('qRcmd,') ? hexDecodeText(text.slice(6)) : null;
      return command === null ? malformed('qRcmd needs hex text') : { kind: 'monitor', command };
    }
    case 'qThreadExtraInfo': {
      const thread = parseThreadId(text.slice(17));
      return thread === null ? malformed('qThreadExtraInfo needs a thread-id') : { kind: 'thread-extra-info', thread };
    }
    case 'vKill': {
      if (text === 'vKill') return { kind: 'kill', pid: null, reply: true };
      const pid = parseHexInt(text.slice(6));
      return pid === null ? malformed('vKill needs a hex pid') : { kind: 'kill', pid, reply: true };
    }
    case 'vRun':
      return parseRun(text);
    case 'vFile':
      return parseHostIo(text);
    default:
      // qTStatus, qOffsets, vMustReplyEmpty, QNonStop…: all answered empty.
      return unsupported(text);
  }
}
