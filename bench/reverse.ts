// Benchmark of going backwards in a replay: records a program that makes N system calls between
// two calls of marker() (times(2), which the syscall buffer leaves to the tracer, so each is an
// event), then, in the debugger engine, runs to the second marker() and times
//   - reverse-continue to the breakpoint at marker(), N events back (the forward run crossed those
//     events with that breakpoint set, so the stretches between restore points are known to hold no
//     hit and are skipped);
//   - 100 consecutive reverse-steps (reverse-stepi) from there on;
//   - reverse-continue N events back with a breakpoint set only then (every stretch re-executed).
//   npm run build && node dist/bench/reverse.js [N]     (default 1000000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Timeline } from '../src/replay/debug/timeline.js';
import { TraceReader } from '../src/trace/trace-reader.js';

const N = Number(process.argv[2] ?? 1_000_000);
const SOURCE = `
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
volatile long sink;
__attribute__((noinline)) void marker(long i) { sink += i; }
__attribute__((noinline)) long work(long i) { long a = i * 2; a += 3; a ^= 5; return a; }
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  marker(0);
  for (long i = 0; i < n; i++) syscall(SYS_times, 0);
  for (long i = 0; i < 200; i++) sink += work(i);
  marker(1);
  return 0;
}
`;

const dir = mkdtempSync(join(tmpdir(), 'rewind-bench-reverse-'));
try {
  writeFileSync(join(dir, 'p.c'), SOURCE);
  execFileSync('gcc', ['-O1', '-g', '-o', join(dir, 'p'), join(dir, 'p.c')]);
  const symbols = execFileSync('nm', [join(dir, 'p')]).toString().split('\n');
  const symbol = (name: string) => BigInt('0x' + symbols.find((l) => l.endsWith(` T ${name}`))!.split(' ')[0]);
  const marker = symbol('marker');
  const trace = join(dir, 'trace');
  let t = performance.now();
  execFileSync(resolve('bin/rewind'), ['record', '-o', trace, '--', join(dir, 'p'), String(N)]);
  console.log(`record of ${N} syscalls: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  const tl = new Timeline(TraceReader.open(trace), {});
  // PIE: marker's run-time address (ADDR_NO_RANDOMIZE puts the executable at 0x555555554000).
  const bp = 0x555555554000n + marker;
  const spec = { breakpoints: [bp], watches: [] };
  t = performance.now();
  await tl.forward(spec, null);
  const first = tl.eventIndex;
  await tl.forward(spec, null);
  console.log(`forward to the second marker(), event ${tl.eventIndex}: ${((performance.now() - t) / 1000).toFixed(2)} s, ${tl.checkpoints.count} checkpoints`);
  t = performance.now();
  const back = await tl.reverseContinue(spec);
  const where = tl.eventIndex === first && back.kind === 'breakpoint' ? 'the first call' : `NOT the first call (${back.kind})`;
  console.log(`reverse-continue to marker() at event ${tl.eventIndex} (${where}), ${N} events back: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  await tl.forward(spec, null);
  t = performance.now();
  for (let i = 0; i < 100; i++) await tl.reverseStep(tl.pid);
  console.log(`100 reverse-steps: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  await tl.forward(spec, null);
  t = performance.now();
  const far = await tl.reverseContinue({ breakpoints: [bp, 0x555555554000n + symbol('main')], watches: [] });
  const where2 = far.kind === 'breakpoint' && tl.eventIndex === first ? 'the first call' : `${far.kind} at event ${tl.eventIndex}`;
  console.log(`reverse-continue to marker() ${N} events back with a breakpoint set only now (main()): ${where2}, ${((performance.now() - t) / 1000).toFixed(2)} s`);
  tl.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
