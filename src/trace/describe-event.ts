// Trace layer: one line describing an event, for `rewind dump` and replay's divergence reports.
import { isSyscallError } from '../kernel/errno.js';
import { R, SYSCALL_ARG_REGS, syscallNr } from '../kernel/regs.js';
import { signalName } from '../kernel/signals.js';
import { syscallName } from '../kernel/syscall-names.js';
import { decodeRecords } from '../syscallbuf/records.js';
import type { BufferedEvent, PointMemory, TraceEvent } from './events.js';
import { SignalPlacement, TrappedInsn } from './events.js';

const hex = (v: bigint) => '0x' + v.toString(16);

const PLACEMENT = ['fault', 'at syscall exit', 'before syscall', 'at instruction'];
const INSN = ['rdtsc', 'rdtscp', 'cpuid', 'syscall', 'cpuid-call'];

/** One line describing an event: `tid 5 write(0x1, …) = 6 (echo fd 1) @0x401000`. */
export function describeEvent(ev: TraceEvent): string {
  switch (ev.kind) {
    case 'exec':
      return `tid ${ev.tid} exec ${ev.path} [${ev.argv.map((a) => JSON.stringify(a)).join(' ')}]`
        + (ev.newTid !== ev.tid ? `, takes over tid ${ev.newTid}` : '');
    case 'syscall': {
      const args = SYSCALL_ARG_REGS.map((r) => hex(ev.regs[r]!)).join(', ');
      const res = isSyscallError(ev.result) ? `-${-ev.result}` : hex(BigInt.asUintN(64, ev.result));
      const bytes = ev.writes.reduce((n, w) => n + w.data.length, 0);
      const extra = [ev.mode === 1 ? 'executed' : '', bytes ? `${bytes} bytes out` : '', ev.file ? `file ${ev.file.path}` : '', ev.echo ? `echo fd ${ev.echo}` : '']
        .filter(Boolean).join(', ');
      return `tid ${ev.tid} ${syscallName(ev.nr)}(${args}) = ${res}${extra ? ` (${extra})` : ''} @${hex(ev.regs[R.rip]!)}`;
    }
    case 'signal':
      return `tid ${ev.tid} signal ${signalName(ev.signo)} ${PLACEMENT[ev.placement as SignalPlacement] ?? '?'} @${hex(ev.regs[R.rip]!)}`
        + (ev.placement === SignalPlacement.Instruction ? ` ${describePoint(ev.point)}` : '');
    case 'insn':
      return `tid ${ev.tid} ${INSN[ev.insn as TrappedInsn] ?? '?'} = ${ev.out.map(hex).join(' ')} @${hex(ev.regs[R.rip]!)}`;
    case 'exit':
      return `tid ${ev.tid} exit ${ev.code !== null ? `code ${ev.code}` : `by ${signalName(ev.signal ?? 0)}`}`;
    case 'enter':
      return `tid ${ev.tid} enters ${syscallName(syscallNr(ev.regs))} @${hex(ev.regs[R.rip]!)}`;
    case 'newtask':
      return `tid ${ev.tid} ${syscallName(ev.nr)} creates tid ${ev.child}`;
    case 'preempt':
      return `tid ${ev.tid} preempted @${hex(ev.regs[R.rip]!)} ${describePoint(ev.point)}`;
    case 'patch': {
      const shown = ev.sites.slice(0, 4).map((s) => `${INSN[s.insn as TrappedInsn] ?? '?'}@${hex(s.addr)}`).join(' ');
      return `tid ${ev.tid} patched ${ev.sites.length} site${ev.sites.length === 1 ? '' : 's'}: ${shown}${ev.sites.length > 4 ? ' …' : ''}`;
    }
    case 'buffered':
      return `tid ${ev.tid} buffered ${ev.count} call${ev.count === 1 ? '' : 's'} (${ev.records.length} bytes)`;
  }
}

/** How a point between landmarks is identified: `by regs`, or `by regs+memory HASH (N bytes)`. */
function describePoint(p: PointMemory | undefined): string {
  if (!p) return 'by regs';
  const bytes = p.ranges.reduce((n, r) => n + r.len, 0);
  return `by regs+memory ${p.hash.toString(16).padStart(16, '0')} (${bytes} bytes)`;
}

/** One line per call of a `buffered` event, each marked as buffered: `  [buffered 2] tid 5 fstat(0x3, 0x7ff…) = 0 (144 bytes out)`. */
export function describeBufferedCalls(ev: BufferedEvent): string[] {
  let calls;
  try {
    calls = decodeRecords(ev.records, ev.count);
  } catch (e) {
    return [`  [buffered] unreadable records: ${(e as Error).message}`];
  }
  return calls.map((c, i) => {
    const res = isSyscallError(c.result) ? `-${-c.result}` : hex(BigInt.asUintN(64, c.result));
    const bytes = c.writes.reduce((n, w) => n + w.len, 0);
    const what = c.echo ? ` (${c.result} bytes to ${c.echo === 1 ? 'stdout' : 'stderr'})` : bytes ? ` (${bytes} bytes out)` : '';
    return `  [buffered ${i}] tid ${ev.tid} ${syscallName(c.nr)}(${c.args.map(hex).join(', ')}) = ${res}${what}`;
  });
}
