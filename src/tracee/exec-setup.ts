// Traced-process model: what rewind does to every fresh address space right after execve, identically
// at record and at replay: CPUID faulting on (execve turns it off), the syscall buffer mapped (when the
// recording uses it), and the vDSO's clock functions replaced by system calls so that every read of
// the clock is recorded: a call into the syscall buffer where there is one, else a real syscall.
import { SHT_DYNSYM } from '../kernel/elf.js';
import { ARCH_SET_CPUID } from '../kernel/ptrace.js';
import { TraceeError } from './errors.js';
import { injectSyscall } from './inject.js';
import { findMapping, readMaps } from './maps.js';
import type { Task } from './task.js';
import { syscallbufBlob } from '../syscallbuf/blob.js';
import { installSyscallbuf } from '../syscallbuf/install.js';
import type { Mode } from '../syscallbuf/layout.js';
import type { CpuidEntry } from '../trace/cpuid-entries.js';
import { cpuidTableBytes } from './cpuid-table.js';
import type { TrapPlan } from './trap-plan.js';

const SYS_arch_prctl = 158;

/** vDSO function → the syscall that does the same job with the same arguments. */
const VDSO_REPLACEMENTS: Record<string, number> = {
  __vdso_clock_gettime: 228, clock_gettime: 228,
  __vdso_gettimeofday: 96, gettimeofday: 96,
  __vdso_time: 201, time: 201,
  __vdso_clock_getres: 229, clock_getres: 229,
  __vdso_getcpu: 309, getcpu: 309,
};


/**
 * Per `plan`: CPUID faulting on (only where the CPU has it; the trace says whether it was on), the
 * syscall buffer mapped in `mode` with the plan's CPUID table (threads get buffers too from format 7
 * on, CLONE_VM children that are not threads from format 10 on: the plan says). `vdso`: where the
 * vDSO is when it is not the kernel's [vdso] mapping (a replay's copy of the recorded one in anonymous
 * memory: src/syscalls/exec-image.ts). Returns whether the process has the buffer.
 */
export function prepareAfterExec(task: Task, plan: TrapPlan, mode: Mode.Record | Mode.Replay, vdso: { start: bigint; end: bigint } | null = null): boolean {
  if (plan.cpuidFault) {
    const r = injectSyscall(task, SYS_arch_prctl, [BigInt(ARCH_SET_CPUID), 0n]);
    if (r !== 0n) throw new TraceeError(`cannot turn on CPUID faulting (errno ${-r})`);
  }
  const buffered = plan.syscallbuf && installSyscallbuf(task, mode, plan.threadBuffers, plan.sharedBuffers, cpuidTableOf(plan));
  patchVdso(task, buffered ? syscallbufBlob().entry : null, vdso);
  return buffered;
}

/** The plan's CPUID table as the process holds it (made once per plan). */
const tableBytes = new WeakMap<readonly CpuidEntry[], Uint8Array>();
function cpuidTableOf(plan: TrapPlan): Uint8Array | null {
  const t = plan.cpuidTable;
  if (!t) return null;
  let b = tableBytes.get(t);
  if (!b) tableBytes.set(t, (b = cpuidTableBytes(t)));
  return b;
}

/**
 * Overwrites each vDSO time function with `mov eax, NR; syscall; ret`, or with the syscall buffer,
 * `mov eax, NR; call ENTRY; ret` (the entry keeps every register a syscall keeps).
 */
function patchVdso(task: Task, entry: bigint | null, where: { start: bigint; end: bigint } | null): void {
  const vdso = where ?? findMapping(readMaps(task.tid), '[vdso]');
  if (!vdso) return;
  const image = task.read(vdso.start, Number(vdso.end - vdso.start));
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  if (shoff === 0 || shoff + shnum * shentsize > image.length) {
    throw new TraceeError('the vDSO has no section table rewind can read');
  }
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      type: dv.getUint32(o + 4, true), offset: Number(dv.getBigUint64(o + 0x18, true)),
      size: Number(dv.getBigUint64(o + 0x20, true)), link: dv.getUint32(o + 0x28, true),
    };
  };
  let patched = 0;
  for (let i = 0; i < shnum; i++) {
    const sym = section(i);
    if (sym.type !== SHT_DYNSYM) continue;
    const strtab = section(sym.link);
    for (let o = sym.offset; o + 24 <= sym.offset + sym.size; o += 24) {
      const nameOff = strtab.offset + dv.getUint32(o, true);
      const end = image.indexOf(0, nameOff);
      const name = Buffer.from(image.subarray(nameOff, end)).toString('latin1');
      const nr = VDSO_REPLACEMENTS[name];
      const value = dv.getBigUint64(o + 8, true);
      const size = Number(dv.getBigUint64(o + 16, true));
      if (nr === undefined || value === 0n) continue;
      if (size < 8) throw new TraceeError(`vDSO function ${name} is too small to patch (${size} bytes)`);
      const at = vdso.start + value;
      const call = entry === null ? null : entry - (at + 10n);
      let stub = new Uint8Array([0xb8, nr & 0xff, (nr >> 8) & 0xff, 0, 0, 0x0f, 0x05, 0xc3]);
      if (call !== null && size >= 11 && call >= -(2n ** 31n) && call < 2n ** 31n) {
        stub = new Uint8Array([0xb8, nr & 0xff, (nr >> 8) & 0xff, 0, 0, 0xe8, 0, 0, 0, 0, 0xc3]);
        new DataView(stub.buffer).setInt32(6, Number(call), true);
      }
      task.write(at, stub);
      patched++;
    }
  }
  if (patched === 0) throw new TraceeError('found no clock functions to patch in the vDSO');
}
