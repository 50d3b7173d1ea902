// Traced-process model: how rdtsc, rdtscp and cpuid are caught in a recording or a replay — by a
// kernel trap where the probes prove it works (src/tracee/capabilities.ts), else by patching the
// program's code (src/patch) — and what CPUID answers. Record and replay each build one plan.
import { TrappedInsn } from '../trace/events.js';
import type { CpuFeatures, PatchedKind, TraceMetaStart } from '../trace/meta.js';
import { useHardware } from './capabilities.js';

export interface TrapPlan {
  /** PR_SET_TSC(PR_TSC_SIGSEGV) in the launcher: the kernel traps rdtsc/rdtscp. */
  tscTrap: boolean;
  /** CPUID faulting switched on after every exec. */
  cpuidFault: boolean;
  /** Instructions patched in the code, with a `patch` event each time (recording). */
  patch: ReadonlySet<TrappedInsn>;
  /** Instructions replay patches on its own (the recording trapped them in a kernel this machine lacks). */
  patchLocally: ReadonlySet<TrappedInsn>;
  /** CPUID answers masked to the portable baseline. */
  portable: boolean;
  /** The syscall buffer is mapped into every process (its syscall sites are in `patch` at record). */
  syscallbuf: boolean;
  /** With the buffer, threads and CLONE_VM children get buffers of their own (format 7 on; before, their calls were traced). */
  threadBuffers: boolean;
  /** With the buffer, CLONE_VM children that are not threads (vfork) get buffers of their own too (format 10 on; before, their calls were traced). */
  sharedBuffers: boolean;
}

const TSC = [TrappedInsn.Rdtsc, TrappedInsn.Rdtscp];

/** The plan for recording on this machine. */
export function recordingPlan(cpuFeatures: CpuFeatures, syscallbuf = false): TrapPlan {
  const tscTrap = useHardware('rdtsc-trap');
  const cpuidFault = useHardware('cpuid-fault');
  const patch = new Set<TrappedInsn>([...(tscTrap ? [] : TSC), ...(cpuidFault ? [] : [TrappedInsn.Cpuid]),
    ...(syscallbuf ? [TrappedInsn.Syscall] : [])]);
  return { tscTrap, cpuidFault, patch, patchLocally: new Set(), portable: cpuFeatures === 'portable', syscallbuf, threadBuffers: syscallbuf,
    sharedBuffers: syscallbuf };
}

/** What the trace's meta says was patched (the `patched` field). */
export function patchedKinds(plan: TrapPlan): PatchedKind[] {
  const out: PatchedKind[] = [];
  if (plan.patch.has(TrappedInsn.Rdtsc)) out.push('rdtsc');
  if (plan.patch.has(TrappedInsn.Cpuid)) out.push('cpuid');
  return out;
}

/**
 * The plan for replaying a trace here: the same traps as the recording where this machine has them;
 * where the recording trapped in the kernel and this machine cannot, replay patches those sites itself
 * (deterministically, from the same files). Patched sites come from the trace's `patch` events.
 * Traces older than version 3 patched nothing.
 */
export function replayPlan(meta: Pick<TraceMetaStart, 'cpuidFaulting' | 'patched' | 'syscallBuffer'> & { version?: number }): TrapPlan {
  const patched = new Set(meta.patched ?? []);
  const recordedTscTrap = !patched.has('rdtsc');
  const tscTrap = recordedTscTrap && useHardware('rdtsc-trap');
  const cpuidFault = meta.cpuidFaulting && useHardware('cpuid-fault');
  const patchLocally = new Set<TrappedInsn>([
    ...(recordedTscTrap && !tscTrap ? TSC : []),
    ...(meta.cpuidFaulting && !cpuidFault ? [TrappedInsn.Cpuid] : []),
  ]);
  const syscallbuf = meta.syscallBuffer === true;
  return { tscTrap, cpuidFault, patch: new Set(), patchLocally, portable: false, syscallbuf, threadBuffers: syscallbuf && (meta.version ?? 7) >= 7,
    sharedBuffers: syscallbuf && (meta.version ?? 7) >= 10 };
}
