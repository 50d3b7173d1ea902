// Traced-process model: how rdtsc, rdtscp and cpuid are caught in a recording or a replay — by a
// kernel trap where the probes prove it works (src/tracee/capabilities.ts), else by patching the
// program's code (src/patch) — and what CPUID answers. Record and replay each build one plan.
import { formatCpuidEntry, parseCpuidEntry, type CpuidEntry } from '../trace/cpuid-entries.js';
import { TrappedInsn } from '../trace/events.js';
import type { CpuFeatures, PatchedKind, TraceMetaStart } from '../trace/meta.js';
import { useHardware } from './capabilities.js';
import { cachedCpuidTable } from './cpuid-table.js';

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
  /**
   * The in-process CPUID's answers, written into every process with the buffer: cpuid sites with a
   * window are patched to call it (CpuidCall in `patch` at record). Null without the buffer, where
   * cpuid traps in the kernel, and in traces before format 12.
   */
  cpuidTable: readonly CpuidEntry[] | null;
}

const TSC = [TrappedInsn.Rdtsc, TrappedInsn.Rdtscp];

/**
 * The plan for recording on this machine. With cpuid patched and the buffer, the CPUID table is built
 * here: the tracer must already be pinned to the recording's CPU, `cpu` (spawn.ts pinTracer).
 */
export function recordingPlan(cpuFeatures: CpuFeatures, syscallbuf = false, cpu = -1): TrapPlan {
  const tscTrap = useHardware('rdtsc-trap');
  const cpuidFault = useHardware('cpuid-fault');
  const portable = cpuFeatures === 'portable';
  const cpuidTable = !cpuidFault && syscallbuf ? cachedCpuidTable(cpu, portable) : null;
  const patch = new Set<TrappedInsn>([...(tscTrap ? [] : TSC), ...(cpuidFault ? [] : [TrappedInsn.Cpuid]),
    ...(syscallbuf ? [TrappedInsn.Syscall] : []), ...(cpuidTable ? [TrappedInsn.CpuidCall] : [])]);
  return { tscTrap, cpuidFault, patch, patchLocally: new Set(), portable, syscallbuf, threadBuffers: syscallbuf,
    sharedBuffers: syscallbuf, cpuidTable };
}

/** The plan's CPUID table as meta.json keeps it (absent without one). */
export function cpuidTableMeta(plan: TrapPlan): Pick<TraceMetaStart, 'cpuidTable'> {
  return plan.cpuidTable ? { cpuidTable: plan.cpuidTable.map(formatCpuidEntry) } : {};
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
export function replayPlan(meta: Pick<TraceMetaStart, 'cpuidFaulting' | 'patched' | 'syscallBuffer' | 'cpuidTable'> & { version?: number }): TrapPlan {
  const patched = new Set(meta.patched ?? []);
  const recordedTscTrap = !patched.has('rdtsc');
  const tscTrap = recordedTscTrap && useHardware('rdtsc-trap');
  const cpuidFault = meta.cpuidFaulting && useHardware('cpuid-fault');
  const patchLocally = new Set<TrappedInsn>([
    ...(recordedTscTrap && !tscTrap ? TSC : []),
    ...(meta.cpuidFaulting && !cpuidFault ? [TrappedInsn.Cpuid] : []),
  ]);
  const syscallbuf = meta.syscallBuffer === true;
  const cpuidTable = syscallbuf && meta.cpuidTable ? meta.cpuidTable.map((e) => parseCpuidEntry(e)!) : null;
  return { tscTrap, cpuidFault, patch: new Set(), patchLocally, portable: false, syscallbuf, threadBuffers: syscallbuf && (meta.version ?? 7) >= 7,
    sharedBuffers: syscallbuf && (meta.version ?? 7) >= 10, cpuidTable };
}
