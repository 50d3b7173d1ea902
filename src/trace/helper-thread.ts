// Trace layer: starting one of rewind's helper threads (the recorder's deflate thread, a reader's
// read-ahead thread) on a CPU of its own. rewind pins itself and its tracees to one CPU
// (src/tracee/spawn.ts); a new thread inherits its creator's affinity, so the creating thread moves
// to `cpu` for the moment it creates the worker, and back. Its stdout and stderr are not piped into
// rewind's: piping them would make node open process.stdout and process.stderr, which sets a pipe
// there O_NONBLOCK, and the recorded program shares that open file (its writes would fail with EAGAIN).

import { createRequire } from 'node:module';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { native } from '../native/addon.js';

/** node:worker_threads, loaded when the first thread starts (a short recording starts none). */
let threads: typeof import('node:worker_threads') | undefined;

export function workerThreads(): typeof import('node:worker_threads') {
  threads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  return threads;
}

/** The one CPU the calling thread is pinned to, or -1. */
export function pinnedCpu(): number {
  const mask = native.allowedCpus();
  return mask > 0 && Number.isInteger(Math.log2(mask)) ? Math.log2(mask) : -1;
}

/**
 * A worker running `url`, on CPU `cpu` when the calling thread is pinned to one CPU and cpu ≥ 0 (else
 * where the calling thread may run), unref'd (it never keeps rewind alive), errors ignored (a thread
 * that cannot start never says it is ready, and its work is done without it).
 */
export function startHelperThread(url: URL, options: Pick<WorkerOptions, 'workerData' | 'transferList'>, cpu: number): Worker {
  const pinnedTo = pinnedCpu();
  const move = cpu >= 0 && pinnedTo >= 0 && cpu !== pinnedTo && native.setAffinity(0, cpu) === 0;
  let worker: Worker;
  try {
    // execArgv: not rewind's own node options (--input-type, --inspect…: some refuse a worker).
    worker = new (workerThreads().Worker)(url, { ...options, execArgv: [], stdout: true, stderr: true });
  } finally {
    if (move) native.setAffinity(0, pinnedTo);
  }
  worker.unref();
  worker.on('error', () => {});
  return worker;
}
