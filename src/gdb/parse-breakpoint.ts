// gdb layer: parser for the breakpoint family, `Z TYPE,ADDR,KIND[;cond…]` and `z TYPE,ADDR,KIND`
// (gdb manual, "Packets"). Pure; imports nothing from rewind outside src/gdb.

import { parseHexBigInt, parseHexInt } from './encoding.js';
import { malformed, type Request } from './requests.js';
import type { BreakpointType } from './target.js';

const TYPES: readonly BreakpointType[] = ['software', 'hardware', 'write', 'read', 'access'];

export function parseBreakpoint(text: string): Request {
  const insert = text[0] === 'Z';
  // Conditions and commands (`;X…`, `;cmds…`) are only sent when advertised; we do not.
  const semi = text.indexOf(';');
  const fields = (semi < 0 ? text.slice(1) : text.slice(1, semi)).split(',');
  if (fields.length !== 3) return malformed('Z/z needs TYPE,ADDR,KIND');
  const typeNumber = parseHexInt(fields[0]!);
  const addr = parseHexBigInt(fields[1]!);
  const kind = parseHexInt(fields[2]!);
  const type = typeNumber === null ? undefined : TYPES[typeNumber];
  if (type === undefined) return { kind: 'unsupported', name: text.slice(0, 2) };
  if (addr === null || kind === null) return malformed('Z/z needs hex ADDR and KIND');
  return { kind: 'breakpoint', insert, breakpoint: { type, addr, kind } };
}
