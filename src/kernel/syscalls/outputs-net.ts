// Output rules for structured socket and multiplexing arguments: msghdr (recvmsg), mmsghdr arrays
// (recvmmsg, sendmmsg), fd_sets (select, pselect6) and pollfd arrays (poll, ppoll).

import { Struct } from '../structs.js';
import type { Region, SyscallCtx } from './types.js';
import { argInt, argU64, resultNum, rule, spreadOverIovecs, view, type Rule } from './outputs.js';

const H = Struct.msghdr;
const MM = Struct.mmsghdr;

/**
 * What recvmsg wrote through the msghdr at `hdr` when `bytes` bytes arrived: the msghdr itself
 * (msg_namelen, msg_controllen and msg_flags are updated), the source address, the control data
 * (msg_controllen after the call = bytes written) and the data spread over the iovecs.
 */
export function msghdrRegions(c: SyscallCtx, hdr: bigint, bytes: number): Region[] {
  if (hdr === 0n) return [];
  const v = view(c.readMem(hdr, H.size));
  const out: Region[] = [{ addr: hdr, len: H.size }];
  const name = v.getBigUint64(H.msg_name, true);
  const namelen = Math.min(v.getUint32(H.msg_namelen, true), Struct.sockaddr_storage.size);
  if (name !== 0n && namelen > 0) out.push({ addr: name, len: namelen });
  const control = v.getBigUint64(H.msg_control, true);
  const controllen = Number(v.getBigUint64(H.msg_controllen, true));
  if (control !== 0n && controllen > 0) out.push({ addr: control, len: controllen });
  const iov = v.getBigUint64(H.msg_iov, true);
  const iovlen = Number(v.getBigUint64(H.msg_iovlen, true));
  out.push(...spreadOverIovecs(c, iov, iovlen, bytes));
  return out;
}

/** recvmsg(fd, msg, flags): result bytes of data plus name, control and the msghdr at arg 1. */
export function recvmsgOut(msgArg = 1): Rule {
  return rule(`msghdr at arg${msgArg}: name, control, iovecs (result bytes)`, (c) =>
    msghdrRegions(c, argU64(c, msgArg), resultNum(c)),
  );
}

/** recvmmsg(fd, msgvec, vlen, flags, timeout): `result` mmsghdrs, each with msg_len bytes of data. */
export function recvmmsgOut(vecArg = 1): Rule {
  return rule(`mmsghdr array at arg${vecArg}: result entries`, (c) => {
    const vec = argU64(c, vecArg);
    const out: Region[] = [];
    for (let i = 0; i < resultNum(c); i++) {
      const at = vec + BigInt(i * MM.size);
      const msgLen = view(c.readMem(at + BigInt(MM.msg_len), 4)).getUint32(0, true);
      out.push({ addr: at, len: MM.size }, ...msghdrRegions(c, at, msgLen));
    }
    return out;
  });
}

/** sendmmsg(fd, msgvec, vlen, flags): the kernel stores msg_len in each of the `result` entries sent. */
export function sendmmsgOut(vecArg = 1): Rule {
  return rule(`msg_len of result mmsghdrs at arg${vecArg}`, (c) => {
    const vec = argU64(c, vecArg);
    const out: Region[] = [];
    for (let i = 0; i < resultNum(c); i++) out.push({ addr: vec + BigInt(i * MM.size + MM.msg_len), len: 4 });
    return out;
  });
}

/** Bytes of an fd_set select reads and writes for `nfds` descriptors (whole longs). */
export function fdSetBytes(nfds: number): number {
  return nfds <= 0 ? 0 : Math.ceil(nfds / 64) * 8;
}

/** select/pselect6(nfds, readfds, writefds, exceptfds, …): the three fd_sets, sized by nfds. */
export function fdSetsOut(): Rule {
  return rule('fd_sets at arg1..arg3: ceil(nfds/64)*8 bytes each', (c) => {
    const len = fdSetBytes(argInt(c, 0));
    return [1, 2, 3].map((i) => ({ addr: argU64(c, i), len }));
  });
}

/** poll/ppoll(fds, nfds, …): the pollfd array (revents updated), nfds × 8 bytes. */
export function pollfdsOut(): Rule {
  return rule('pollfd array at arg0: nfds × 8 bytes', (c) => [
    { addr: argU64(c, 0), len: Math.max(0, Number(BigInt.asUintN(32, c.args[1] ?? 0n))) * Struct.pollfd.size },
  ]);
}
