// A monotonic clock in milliseconds (fractional), from process.hrtime: the same clock as
// performance.now() with another origin, without what the `performance` global loads on first use
// (node:perf_hooks and eight internal modules, 2–6 ms at every `rewind record`). Only differences
// of its values mean anything.
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
