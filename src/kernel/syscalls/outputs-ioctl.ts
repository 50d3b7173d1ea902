// ioctl(fd, request, arg): what the kernel writes at arg, by request. Legacy tty, socket and block
// requests are listed; requests built with _IOC (include/uapi/asm-generic/ioctl.h) say their own
// direction and size, so _IOR/_IOWR requests write `size` bytes at arg and _IOW ones write nothing.
// Anything else may write memory rewind cannot size: the rule throws and recording stops cleanly.

import { PERF_EVENT_IOC_NO_MEMORY } from '../perf-event.js';
import { Struct } from '../structs.js';
import type { Region } from './types.js';
import { argU32, argU64, readU32, readU64, rule, type Rule } from './outputs.js';

/** _IOC field layout. */
export const IOC = { NRBITS: 8, TYPEBITS: 8, SIZEBITS: 14, DIRBITS: 2, NONE: 0, WRITE: 1, READ: 2 } as const;

export function iocDir(req: number): number {
  return (req >>> 30) & 3;
}
export function iocSize(req: number): number {
  return (req >>> 16) & 0x3fff;
}
export function iocType(req: number): number {
  return (req >>> 8) & 0xff;
}
export function iocNr(req: number): number {
  return req & 0xff;
}
/** _IOC(dir, type, nr, size) as the kernel headers compute it. */
export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/** Legacy (unencoded) requests: bytes written at arg (0 = none). */
export const IOCTL_OUT: ReadonlyMap<number, number> = new Map([
  // termios, tty (include/uapi/asm-generic/ioctls.h)
  [0x5401, Struct.termios.size], // TCGETS
  [0x5402, 0], [0x5403, 0], [0x5404, 0], // TCSETS, TCSETSW, TCSETSF
  [0x5405, Struct.termio.size], // TCGETA
  [0x5406, 0], [0x5407, 0], [0x5408, 0], // TCSETA, TCSETAW, TCSETAF
  [0x5409, 0], [0x540a, 0], [0x540b, 0], // TCSBRK, TCXONC, TCFLSH
  [0x540c, 0], [0x540d, 0], [0x540e, 0], // TIOCEXCL, TIOCNXCL, TIOCSCTTY
  [0x540f, 4], [0x5410, 0], // TIOCGPGRP, TIOCSPGRP
  [0x5411, 4], [0x5412, 0], // TIOCOUTQ, TIOCSTI
  [0x5413, Struct.winsize.size], [0x5414, 0], // TIOCGWINSZ, TIOCSWINSZ
  [0x5415, 4], [0x5416, 0], [0x5417, 0], [0x5418, 0], // TIOCMGET, TIOCMBIS, TIOCMBIC, TIOCMSET
  [0x5419, 4], [0x541a, 0], // TIOCGSOFTCAR, TIOCSSOFTCAR
  [0x541b, 4], // FIONREAD / TIOCINQ / SIOCINQ
  [0x541d, 0], // TIOCCONS
  [0x541e, Struct.serial_struct.size], [0x541f, 0], // TIOCGSERIAL, TIOCSSERIAL
  [0x5420, 0], [0x5421, 0], [0x5422, 0], // TIOCPKT, FIONBIO, TIOCNOTTY
  [0x5423, 0], [0x5424, 4], // TIOCSETD, TIOCGETD
  [0x5425, 0], [0x5427, 0], [0x5428, 0], // TCSBRKP, TIOCSBRK, TIOCCBRK
  [0x5429, 4], // TIOCGSID
  [0x5437, 0], // TIOCVHANGUP
  [0x5441, 0], // TIOCGPTPEER (returns an fd)
  [0x5450, 0], [0x5451, 0], [0x5452, 0], // FIONCLEX, FIOCLEX, FIOASYNC
  [0x5453, 0], [0x5454, 4], [0x5455, 0], // TIOCSERCONFIG, TIOCSERGWILD, TIOCSERSWILD
  [0x5456, Struct.termios.size], [0x5457, 0], // TIOCGLCKTRMIOS, TIOCSLCKTRMIOS
  [0x5459, 4], // TIOCSERGETLSR
  [0x545c, 0], // TIOCMIWAIT
  [0x5460, 8], // FIOQSIZE
  // console / VT (include/uapi/linux/kd.h, vt.h)
  [0x4b33, 1], [0x4b3b, 4], [0x4b44, 4], // KDGKBTYPE, KDGETMODE, KDGKBMODE
  [0x5600, 4], [0x5601, 8], [0x5603, 6], // VT_OPENQRY, VT_GETMODE, VT_GETSTATE
  // block devices (include/uapi/linux/fs.h)
  [0x125e, 4], [0x125f, 0], [0x1260, 8], [0x1261, 0], [0x1268, 4], // BLKROGET, BLKRRPART, BLKGETSIZE, BLKFLSBUF, BLKSSZGET
  [0x0001, 4], [0x0002, 4], // FIBMAP (in/out int), FIGETBSZ
  // perf events (include/uapi/linux/perf_event.h): ENABLE, DISABLE, REFRESH, RESET, SET_OUTPUT
  ...PERF_EVENT_IOC_NO_MEMORY.map((r): [number, number] => [r, 0]),
  // sockets (include/uapi/linux/sockios.h)
  [0x8902, 0], [0x8904, 4], [0x8905, 4], // SIOCSPGRP, SIOCGPGRP, SIOCATMARK
  [0x8906, Struct.timeval.size], [0x8907, Struct.timespec.size], // SIOCGSTAMP_OLD, SIOCGSTAMPNS_OLD
  [0x890b, 0], [0x890c, 0], // SIOCADDRT, SIOCDELRT
  ...[0x8910, 0x8913, 0x8915, 0x8917, 0x8919, 0x891b, 0x891d, 0x891f, 0x8921, 0x8927, 0x8929, 0x8933, 0x8935, 0x8938, 0x8942, 0x8970].map(
    (r): [number, number] => [r, Struct.ifreq.size], // SIOCGIF* getters fill a struct ifreq
  ),
  ...[0x8911, 0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8923, 0x8924, 0x8943].map(
    (r): [number, number] => [r, 0], // SIOCSIF* setters
  ),
]);

const SIOCGIFCONF = 0x8912;

/** Regions ioctl `req` wrote at `arg`; throws for a request that may write memory of unknown size. */
export function ioctlRegions(req: number, arg: bigint, readU32At: (addr: bigint) => number, readPtrAt: (addr: bigint) => bigint): Region[] {
  const known = IOCTL_OUT.get(req);
  if (known !== undefined) return known > 0 ? [{ addr: arg, len: known }] : [];
  if (req === SIOCGIFCONF) {
    // struct ifconf { int ifc_len; char *ifc_buf; }: ifc_len becomes the bytes written to ifc_buf.
    if (arg === 0n) return [];
    const buf = readPtrAt(arg + BigInt(Struct.ifconf.ifc_buf));
    const out: Region[] = [{ addr: arg, len: Struct.ifconf.size }];
    if (buf !== 0n) out.push({ addr: buf, len: readU32At(arg) });
    return out;
  }
  const dir = iocDir(req);
  const size = iocSize(req);
  if ((dir & IOC.READ) !== 0) return size > 0 ? [{ addr: arg, len: size }] : [];
  if (dir === IOC.WRITE) return [];
  throw new Error(`unsupported ioctl request 0x${req.toString(16)}`);
}

/** The ioctl rule: decodes arg1 (request, an unsigned int) and writes at arg2. */
export function ioctlOut(): Rule {
  return rule('by request: tty/socket tables, else _IOC READ size at arg2', (c) =>
    ioctlRegions(argU32(c, 1), argU64(c, 2), (a) => readU32(c, a), (a) => readU64(c, a)),
  );
}
