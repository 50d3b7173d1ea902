// A fake tracee memory for output-rule tests: sparse little-endian segments.

import type { SyscallCtx } from './types.js';

export class FakeMem {
  private segs: { addr: bigint; bytes: Uint8Array }[] = [];

  put(addr: bigint, bytes: Uint8Array): this {
    this.segs.push({ addr, bytes });
    return this;
  }
  u32(addr: bigint, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return this.put(addr, b);
  }
  u64s(addr: bigint, vs: (bigint | number)[]): this {
    const b = new Uint8Array(vs.length * 8);
    const v = new DataView(b.buffer);
    vs.forEach((x, i) => v.setBigUint64(i * 8, BigInt(x), true));
    return this.put(addr, b);
  }
  /** An iovec array of [base, len] pairs. */
  iovecs(addr: bigint, iovs: [bigint, number][]): this {
    return this.u64s(addr, iovs.flatMap(([b, l]) => [b, BigInt(l)]));
  }
  read(addr: bigint, len: number): Uint8Array {
    for (const s of this.segs) {
      const off = Number(addr - s.addr);
      if (addr >= s.addr && off + len <= s.bytes.length) return s.bytes.subarray(off, off + len);
    }
    throw new Error(`fake memory: no ${len} bytes at 0x${addr.toString(16)}`);
  }
  ctx(args: (bigint | number)[], result: bigint | number): SyscallCtx {
    const a = [...args.map((x) => BigInt.asUintN(64, BigInt(x)))];
    while (a.length < 6) a.push(0n);
    return { args: a, result: BigInt(result), readMem: (addr, len) => this.read(addr, len) };
  }
}
