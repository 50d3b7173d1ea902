// Replay: what replay reports when the program is not where the recording was.
import { REG_NAMES, R, syscallNr } from '../kernel/regs.js';
import { signalName } from '../kernel/signals.js';
import { syscallName } from '../kernel/syscall-names.js';
import type { PointMemory, TraceEvent } from '../trace/events.js';
import { SignalPlacement, TrappedInsn } from '../trace/events.js';

/** Replay diverged from the recording. `message` is one line; `details` follow it. */
export class DivergenceError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
  }
}

/** The recording ended before the program did (the recorder was killed). */
export class TraceEndedEarly extends Error {}

const hex = (v: bigint) => '0x' + v.toString(16);

/** The first register that differs, as "rdi: expected 0x3, got 0x4", or null. */
export function regsDifference(expected: BigUint64Array, actual: BigUint64Array, ignore: readonly number[] = []): string | null {
  for (let i = 0; i < expected.length; i++) {
    if (ignore.includes(i)) continue;
    if (expected[i] !== actual[i]) return `${REG_NAMES[i]}: expected ${hex(expected[i]!)}, got ${hex(actual[i]!)}`;
  }
  return null;
}

const PLACEMENT = ['fault', 'at syscall exit', 'before syscall', 'at instruction'];
const INSN = ['rdtsc', 'rdtscp', 'cpuid'];

/** One line describing an event, shared by divergence reports and `rewind dump`. */
export function describeEvent(ev: TraceEvent): string {
  switch (ev.kind) {
    case 'exec':
      return `tid ${ev.tid} exec ${ev.path} [${ev.argv.map((a) => JSON.stringify(a)).join(' ')}]`
        + (ev.newTid !== ev.tid ? `, takes over tid ${ev.newTid}` : '');
    case 'syscall': {
      const args = [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9].map((r) => hex(ev.regs[r]!)).join(', ');
      const res = ev.result < 0n && ev.result > -4096n ? `-${-ev.result}` : hex(BigInt.asUintN(64, ev.result));
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
  }
}

/** How a point between landmarks is identified: `by regs`, or `by regs+memory HASH (N bytes)`. */
function describePoint(p: PointMemory | undefined): string {
  if (!p) return 'by regs';
  const bytes = p.ranges.reduce((n, r) => n + r.len, 0);
  return `by regs+memory ${p.hash.toString(16).padStart(16, '0')} (${bytes} bytes)`;
}
