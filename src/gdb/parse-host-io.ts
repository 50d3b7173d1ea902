// gdb layer: parser for the Host I/O packets, `vFile:OP:ARG,ARG…` (gdb manual, "Host I/O Packets").
// Numbers are hex with an optional minus sign, file names hex-encoded bytes. A known operation with
// bad arguments becomes { op: 'invalid' } (answered EINVAL), an unknown one is unsupported (empty
// reply). Pure and total; imports nothing from rewind outside src/gdb.

import { fromHex } from './encoding.js';
import { unsupported, type HostIoRequest, type Request } from './requests.js';

const utf8 = new TextDecoder('utf-8');

/** A hex number with an optional '-' (1..16 digits); null otherwise. Beyond 2^53 it saturates. */
function signedHex(text: string | undefined): number | null {
  if (text === undefined || !/^-?[0-9a-fA-F]{1,16}$/.test(text)) return null;
  const negative = text.startsWith('-');
  const magnitude = BigInt('0x' + (negative ? text.slice(1) : text));
  const clamped = magnitude > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(magnitude);
  return negative ? -clamped : clamped;
}

/** A hex-encoded file name; null on bad hex or an embedded NUL. */
function fileName(hex: string | undefined): string | null {
  const bytes = hex === undefined ? null : fromHex(hex);
  if (bytes === null || bytes.includes(0)) return null;
  return utf8.decode(bytes);
}

function parseOperation(name: string, args: string): HostIoRequest | null {
  const fields = args.split(',');
  const n = (i: number) => signedHex(fields[i]);
  const exactly = (count: number) => fields.length === count;
  switch (name) {
    case 'setfs': {
      const pid = n(0);
      return exactly(1) && pid !== null && pid >= 0 && pid <= 0x7fffffff ? { op: 'setfs', pid } : null;
    }
    case 'open': {
      const [path, flags, mode] = [fileName(fields[0]), n(1), n(2)];
      if (!exactly(3) || path === null || flags === null || mode === null || flags < 0 || mode < 0) return null;
      return { op: 'open', path, flags, mode };
    }
    case 'pread': {
      const [fd, count, offset] = [n(0), n(1), n(2)];
      if (!exactly(3) || fd === null || count === null || offset === null || count < 0 || offset < 0) return null;
      return { op: 'pread', fd, count, offset };
    }
    case 'pwrite': {
      // fd,offset,DATA: the binary data may hold commas; it is never used.
      const [fd, offset] = [n(0), n(1)];
      if (fields.length < 3 || fd === null || offset === null || offset < 0) return null;
      return { op: 'pwrite', fd, offset };
    }
    case 'close':
    case 'fstat': {
      const fd = n(0);
      return exactly(1) && fd !== null ? { op: name, fd } : null;
    }
    case 'unlink':
    case 'readlink': {
      const path = fileName(fields[0]);
      return exactly(1) && path !== null ? { op: name, path } : null;
    }
    default:
      return null;
  }
}

const OPERATIONS = new Set(['setfs', 'open', 'pread', 'pwrite', 'close', 'fstat', 'unlink', 'readlink']);

/** `vFile:OP:ARGS` → a host-io request; an unknown OP (stat, lstat, fstatat…) is unsupported. */
export function parseHostIo(text: string): Request {
  const m = /^vFile:([a-z]+):/.exec(text);
  if (!m || !OPERATIONS.has(m[1]!)) return unsupported(text);
  const name = m[1]!;
  const request = parseOperation(name, text.slice(m[0].length));
  return {
    kind: 'host-io',
    request: request ?? { op: 'invalid', name, reason: `bad arguments to vFile:${name}` },
  };
}
