// CLI: `rewind record [-o DIR] [--pack] [--cpu-features=native|portable] [--[no-]syscall-buffer] [--] CMD [ARGS...]`.
import { hostname, release } from 'node:os';
import { SIG } from '../kernel/signals.js';
import { resolve } from 'node:path';
import { FileStore } from '../record/file-store.js';
import { Recorder, type RecordOutcome } from '../record/recorder.js';
import { thisMachine } from '../trace/machine.js';
import { TraceWriter, type WriterOptions } from '../trace/trace-writer.js';
import { TraceError } from '../trace/errors.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { chooseCpu, launch, otherCpu, pinTracer, secondCpuFree } from '../tracee/spawn.js';
import { startLimits } from '../tracee/start-limits.js';
import { cpuidTableMeta, patchedKinds, recordingPlan } from '../tracee/trap-plan.js';
import { native } from '../native/addon.js';
import { syscallbufBlob } from '../syscallbuf/blob.js';
import { parseArgs } from './args.js';
import { findProgram } from './find-program.js';
import { markLatest, newTraceDir } from './trace-dirs.js';
import { checkpoint } from './timing.js';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

export function recordCommand(args: string[]): number {
  checkpoint('record: modules loaded');
  const { options, operands } = parseArgs(args, { withValue: ['-o', '--output', '--cpu-features'], flags: ['--pack', '--syscall-buffer', '--no-syscall-buffer'], stopAtOperand: true });
  if (options.has('--syscall-buffer') && options.has('--no-syscall-buffer')) throw new UsageError('record: --syscall-buffer and --no-syscall-buffer contradict each other');
  const syscallbuf = wantSyscallBuffer(options.has('--syscall-buffer'), options.has('--no-syscall-buffer'));
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
  pinTracer(cpu);
  const plan = recordingPlan(cpuFeatures, syscallbuf, cpu);
  checkpoint('record: capabilities');
  const writer = TraceWriter.create(dir, {
    command: operands, exe: path, cwd: process.cwd(), startTime: new Date(start).toISOString(),
    hostname: hostname(), kernel: release(), rewindVersion: VERSION, cpu, cpuidFaulting: plan.cpuidFault,
    patched: patchedKinds(plan), cpuFeatures, ...(syscallbuf && { syscallBuffer: true }), ...cpuidTableMeta(plan),
    machine: thisMachine(), limits: startLimits(),
  }, deflateThreadOptions(cpu));
  if (!out) markLatest(dir);
  checkpoint('record: trace created');
  // The recorded tree runs in a process group of its own, so a program that signals its own group
  // (`kill(0, SIG)`, a shell's `trap 'kill 0' EXIT`) signals only itself. SIGINT, SIGTERM, SIGHUP and
  // SIGQUIT sent to rewind are passed on to that group (the program gets them, and they are recorded
  // as it got them); rewind keeps going so the trace is finished properly. When rewind owns the
  // terminal, the tree's group is made the foreground group (Ctrl-C, Ctrl-\ and terminal input reach
  // the program) and the terminal is given back at the end.
  process.on('SIGTSTP', () => {});
  if (native.catchSignals([...FORWARDED]) < 0) throw new Error('cannot catch SIGINT/SIGTERM/SIGHUP/SIGQUIT');

  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  const task = launch({
    path, argv: operands, envp: env, cpu, noCore: false, noTscTrap: !plan.tscTrap, ownGroup: true,
    ...(syscallbuf && { untracedIp: syscallbufBlob().untracedIp }),
  });
  const group = task.tid;
  checkpoint('record: launched');
  const giveBack = takeTerminal(group);
  const onIdle = (): void => {
    const caught = native.takeSignals();
    if (caught === 0) return;
    writer.flush(); // whatever happens next, what was recorded so far is on disk
    for (const sig of FORWARDED) if (caught & (1 << sig)) native.kill(-group, sig);
  };
  let outcome: RecordOutcome;
  const recorder = new Recorder(task, writer, new FileStore(writer.filesDir, { pack: options.has('--pack') }), plan, onIdle);
  try {
    outcome = recorder.run();
  } catch (e) {
    // The program dies with rewind (PTRACE_O_EXITKILL): say so, whatever the reason.
    native.kill(-group, 9);
    native.kill(task.tid, 9);
    try {
      writer.close();
    } catch {
      // the error below says what went wrong first
    }
    if (e instanceof UnsupportedError) {
      throw new UsageError(`${e.message}; recording stopped and the program was killed (the trace in ${dir} replays up to here)`, 125);
    }
    if (process.env.REWIND_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    const what = e instanceof TraceeError || e instanceof TraceError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    throw new UsageError(`${what}; rewind killed the recorded program (the trace in ${dir} replays up to here)`, 70);
  } finally {
    giveBack();
    for (const note of recorder.notes) process.stderr.write(`rewind: ${note}\n`);
  }
  checkpoint('record: program ended');
  writer.finish({
    events: writer.eventCount, exitCode: outcome.exitCode, exitSignal: outcome.exitSignal,
    endTime: new Date().toISOString(), durationMs: Date.now() - start,
  });
  return outcome.exitSignal !== null ? 128 + outcome.exitSignal : outcome.exitCode ?? 0;
}

/**
 * The trace's deflated chunks are deflated and written by a thread of their own on another CPU
 * (src/trace/deflate-thread.ts) when rewind may use one and that CPU looks free: the 1-minute load
 * average is below the number of CPUs rewind may use. The tracing thread and the program share one
 * CPU, so on an idle 2-vCPU VM the other is free, and the thread took `record gzip` from 2.38x to
 * 1.33x of native, python 1.73x to 1.67x, node 2.23x to 1.93x, ls -lR 1.67x to 1.57x (bench, AMD
 * EPYC VM). On a loaded machine the thread only takes turns with other work and costs node's worker
 * start-up (~80 ms of CPU): see docs/ARCHITECTURE.md. REWIND_DEFLATE_THREAD=1 starts it whatever
 * the load, =0 never.
 */
function deflateThreadOptions(cpu: number): WriterOptions {
  if (!secondCpuFree('REWIND_DEFLATE_THREAD')) return {};
  const other = otherCpu(cpu);
  // From the first deflated chunk: the thread boots on the other CPU at the lowest priority while
  // the first chunks are deflated here (waiting for 60 ms of deflating here first cost ls -lR's
  // recording ~14% and python's ~7%; sqlite3's, which the earlier start at normal priority slowed, is
  // no slower).
  return other === null ? {} : { deflateThread: { cpu: other, afterMs: 0 } };
}

/**
 * Whether the recording uses the syscall buffer: on by default; `--no-syscall-buffer` (rr's `-n`) or
 * REWIND_NO_SYSCALL_BUFFER=1 (for running the test suite without it) turn it off, `--syscall-buffer`
 * on whatever the environment says.
 */
function wantSyscallBuffer(on: boolean, off: boolean): boolean {
  if (on || off) return on;
  return process.env['REWIND_NO_SYSCALL_BUFFER'] !== '1';
}

/** Signals sent to rewind while it records that the recorded program gets instead. */
const FORWARDED = [SIG.SIGINT, SIG.SIGTERM, SIG.SIGHUP, SIG.SIGQUIT] as const;

/**
 * When rewind's stdin is its controlling terminal and rewind is in the foreground, makes group the
 * terminal's foreground process group. Returns what gives the terminal back to rewind's own group.
 */
function takeTerminal(group: number): () => void {
  // tcgetpgrp fails with ENOTTY when stdin is not a terminal (node:tty's isatty would cost node:net's
  // loading at every start).
  const own = native.getpgrp();
  if (native.tcgetpgrp(0) !== own) return () => {};
  if (native.tcsetpgrp(0, group) < 0) return () => {};
  return () => {
    native.tcsetpgrp(0, own);
  };
}
