// Traced-process model: decoding a waitpid status into the kind of stop the tracer is looking at.
import { PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP, PTRACE_SYSCALL_TRAP_BIT } from '../kernel/ptrace.js';
import { SIG } from '../kernel/signals.js';
import { W_STOPPED, WCOREFLAG, wHighByte, wPtraceEvent, wTermSig } from '../kernel/wait.js';

export type Stop =
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signal: number; core: boolean }
  /** seccomp RET_TRACE stop: at syscall entry, before the kernel runs it. */
  | { kind: 'seccomp' }
  /** PTRACE_SYSCALL stop (entry or exit; rewind only asks for exits). */
  | { kind: 'syscall' }
  /** PTRACE_EVENT_* stop other than seccomp and group-stop. */
  | { kind: 'event'; event: number }
  /** Group-stop or PTRACE_INTERRUPT stop (PTRACE_EVENT_STOP). */
  | { kind: 'group-stop'; signal: number }
  /** Signal-delivery stop: the tracer decides whether the signal is delivered. */
  | { kind: 'signal'; signal: number };

export function decodeStatus(status: number): Stop {
  const low = wTermSig(status);
  if (low === 0) return { kind: 'exited', code: wHighByte(status) };
  if (low !== W_STOPPED) return { kind: 'killed', signal: low, core: (status & WCOREFLAG) !== 0 };
  const sig = wHighByte(status);
  const event = wPtraceEvent(status);
  if (sig === (SIG.SIGTRAP | PTRACE_SYSCALL_TRAP_BIT)) return { kind: 'syscall' };
  if (event === PTRACE_EVENT_SECCOMP) return { kind: 'seccomp' };
  if (event === PTRACE_EVENT_STOP) return { kind: 'group-stop', signal: sig };
  if (event !== 0) return { kind: 'event', event };
  return { kind: 'signal', signal: sig };
}

export function describeStop(s: Stop): string {
  switch (s.kind) {
    case 'exited': return `exit ${s.code}`;
    case 'killed': return `killed by signal ${s.signal}`;
    case 'seccomp': return 'syscall entry';
    case 'syscall': return 'syscall exit';
    case 'event': return `ptrace event ${s.event}`;
    case 'group-stop': return `group stop (signal ${s.signal})`;
    case 'signal': return `signal ${s.signal}`;
  }
}
