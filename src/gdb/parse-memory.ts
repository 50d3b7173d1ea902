// gdb layer: parsers for the memory and register packet families: m/x/M/X and g/G/p/P
// (gdb manual, "Packets"). Pure; imports nothing from rewind outside src/gdb.

import { fromHex, latin1Text, parseHexBigInt, parseHexInt, unescapeBinary } from './encoding.js';
import { malformed, type Request } from './requests.js';

/** Splits `ADDR,LENGTH` into numbers; null if either is not hex. */
function addrLength(text: string): { addr: bigint; length: number } | null {
  const comma = text.indexOf(',');
  if (comma < 0) return null;
  const addr = parseHexBigInt(text.slice(0, comma));
  const length = parseHexInt(text.slice(comma + 1));
  return addr === null || length === null ? null : { addr, length };
}

/** `m ADDR,LENGTH` and `x ADDR,LENGTH`. */
export function parseMemoryRead(packet: Uint8Array): Request {
  const args = addrLength(latin1Text(packet, 1));
  if (args === null) return malformed('memory read needs ADDR,LENGTH in hex');
  return { kind: 'read-memory', ...args, binary: packet[0] === 0x78 };
}

/** `M ADDR,LENGTH:HEX` and `X ADDR,LENGTH:BINARY`. */
export function parseMemoryWrite(packet: Uint8Array): Request {
  const colon = packet.indexOf(0x3a);
  if (colon < 0) return malformed('memory write needs ADDR,LENGTH:DATA');
  const args = addrLength(latin1Text(packet, 1, colon));
  if (args === null) return malformed('memory write needs ADDR,LENGTH in hex');
  const raw = packet.subarray(colon + 1);
  const data = packet[0] === 0x58 ? unescapeBinary(raw) : fromHex(latin1Text(raw));
  if (data === null) return malformed('memory write data is not well formed');
  if (data.length !== args.length) return malformed('memory write length does not match its data');
  return { kind: 'write-memory', addr: args.addr, data };
}

/** `g`, `G HEX`, `p N`, `P N=HEX`. */
export function parseRegisters(text: string): Request {
  switch (text[0]) {
    case 'g':
      return text.length === 1 ? { kind: 'read-registers' } : malformed('g takes no arguments');
    case 'G': {
      const data = fromHex(text.slice(1));
      return data === null ? malformed('G needs hex data') : { kind: 'write-registers', data };
    }
    case 'p': {
      const regnum = parseHexInt(text.slice(1));
      return regnum === null ? malformed('p needs a hex register number') : { kind: 'read-register', regnum };
    }
    default: {
      const eq = text.indexOf('=');
      const regnum = eq < 0 ? null : parseHexInt(text.slice(1, eq));
      const data = eq < 0 ? null : fromHex(text.slice(eq + 1));
      if (regnum === null || data === null) return malformed('P needs N=HEX');
      return { kind: 'write-register', regnum, data };
    }
  }
}
