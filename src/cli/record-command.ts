// CLI: `rewind record [-o DIR] [--cpu-features=native|portable] [--] CMD [ARGS...]`.
import { hostname, release } from 'node:os';
import { resolve } from 'node:path';
import { FileStore } from '../record/file-store.js';
import { Recorder, type RecordOutcome } from '../record/recorder.js';
import { thisMachine } from '../trace/machine.js';
import { TraceWriter } from '../trace/trace-writer.js';
import { UnsupportedError } from '../tracee/errors.js';
import { chooseCpu, launch } from '../tracee/spawn.js';
import { patchedKinds, recordingPlan } from '../tracee/trap-plan.js';
import { native } from '../native/addon.js';
import { parseArgs } from './args.js';
import { findProgram } from './find-program.js';
import { markLatest, newTraceDir } from './trace-dirs.js';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

export function recordCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { withValue: ['-o', '--output', '--cpu-features'], flags: ['--pack'], stopAtOperand: true });
  const cpuFeatures = (options.get('--cpu-features') ?? 'native') as string;
  if (cpuFeatures !== 'native' && cpuFeatures !== 'portable') {
    throw new UsageError(`record: --cpu-features must be native or portable (got ${cpuFeatures})`);
  }
  if (operands.length === 0) throw new UsageError('record: no program given (usage: rewind record [-o DIR] [--pack] [--cpu-features=native|portable] [--] CMD [ARGS...])');
  const path = findProgram(operands[0]!);
  const out = (options.get('-o') ?? options.get('--output')) as string | undefined;
  const dir = out ? resolve(out) : newTraceDir(operands[0]!);
  const start = Date.now();
  const cpu = chooseCpu();
  const plan = recordingPlan(cpuFeatures);
  const writer = TraceWriter.create(dir, {
    command: operands, exe: path, cwd: process.cwd(), startTime: new Date(start).toISOString(),
    hostname: hostname(), kernel: release(), rewindVersion: VERSION, cpu, cpuidFaulting: plan.cpuidFault,
    patched: patchedKinds(plan), cpuFeatures,
    machine: thisMachine(),
  });
  if (!out) markLatest(dir);
  // Terminal signals go to the whole foreground group: the program gets them (and they are recorded);
  // rewind itself keeps going so the trace is finished properly.
  for (const s of ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const) process.on(s, () => {});

  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  const task = launch({ path, argv: operands, envp: env, cpu, noCore: false, noTscTrap: !plan.tscTrap });
  let outcome: RecordOutcome;
  try {
    outcome = new Recorder(task, writer, new FileStore(writer.filesDir, { pack: options.has('--pack') }), plan).run();
  } catch (e) {
    native.kill(task.tid, 9);
    writer.close();
    if (e instanceof UnsupportedError) {
      throw new UsageError(`${e.message}; recording stopped (the trace in ${dir} replays up to here)`, 125);
    }
    throw e;
  }
  writer.finish({
    events: writer.eventCount, exitCode: outcome.exitCode, exitSignal: outcome.exitSignal,
    endTime: new Date().toISOString(), durationMs: Date.now() - start,
  });
  return outcome.exitSignal !== null ? 128 + outcome.exitSignal : outcome.exitCode ?? 0;
}
