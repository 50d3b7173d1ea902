// gdb layer: turns one packet's data into a typed Request by its first character, delegating to
// one parser per family (parse-memory, parse-resume, parse-breakpoint, parse-query). Never throws.
// Imports nothing from rewind outside src/gdb.

import { latin1Text, parseHexInt } from './encoding.js';
import { parseBreakpoint } from './parse-breakpoint.js';
import { parseMemoryRead, parseMemoryWrite, parseRegisters } from './parse-memory.js';
import { parseQuery } from './parse-query.js';
import { parseLegacyResume, parseVCont } from './parse-resume.js';
import { malformed, unsupported, type Request } from './requests.js';
import { parseThreadId } from './thread-id.js';

/** `H op thread-id` and `T thread-id`. */
function parseThreadPacket(text: string): Request {
  if (text[0] === 'T') {
    const thread = parseThreadId(text.slice(1));
    return thread === null ? malformed('T needs a thread-id') : { kind: 'thread-alive', thread };
  }
  const op = text[1];
  if (op !== 'g' && op !== 'c') return unsupported(text);
  const thread = parseThreadId(text.slice(2));
  return thread === null ? malformed('H needs a thread-id') : { kind: 'set-thread', op, thread };
}

/** `D` or `D;PID`. */
function parseDetach(text: string): Request {
  if (text === 'D') return { kind: 'detach', pid: null };
  const pid = text.startsWith('D;') ? parseHexInt(text.slice(2)) : null;
  return pid === null ? malformed('D takes ;PID in hex') : { kind: 'detach', pid };
}

export function parseRequest(packet: Uint8Array): Request {
  try {
    return parseByFirstByte(packet);
  } catch (err) {
    // Parsers are total; this is a last line of defence so that no input can end a session.
    return malformed(`parser failure: ${String(err)}`);
  }
}

function parseByFirstByte(packet: Uint8Array): Request {
  if (packet.length === 0) return unsupported('');
  const first = String.fromCharCode(packet[0]!);
  // Binary packets keep their bytes; everything else is ASCII.
  if (first === 'X') return parseMemoryWrite(packet);
  const text = latin1Text(packet);
  switch (first) {
    case '?':
      return text === '?' ? { kind: 'stop-reason' } : unsupported(text);
    case 'g':
    case 'G':
    case 'p':
    case 'P':
      return parseRegisters(text);
    case 'm':
    case 'x':
      return parseMemoryRead(packet);
    case 'M':
      return parseMemoryWrite(packet);
    case 'c':
    case 'C':
    case 's':
    case 'S':
      return parseLegacyResume(text);
    case 'b':
      return text === 'bc' || text === 'bs' ? parseLegacyResume(text) : unsupported(text);
    case 'v':
      if (text === 'vCont?') return { kind: 'vcont-query' };
      if (text.startsWith('vCont;') || text === 'vCont') return parseVCont(text);
      return parseQuery(text);
    case 'H':
    case 'T':
      return parseThreadPacket(text);
    case 'Z':
    case 'z':
      return parseBreakpoint(text);
    case 'q':
    case 'Q':
      return parseQuery(text);
    case 'D':
      return parseDetach(text);
    case 'k':
      return text === 'k' ? { kind: 'kill', pid: null, reply: false } : unsupported(text);
    case '!':
      return text === '!' ? { kind: 'extended-mode' } : unsupported(text);
    default:
      return unsupported(text);
  }
}
