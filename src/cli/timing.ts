// CLI: start-up checkpoints for measuring where a command's time goes. With REWIND_TIMING=1 each
// checkpoint prints one line on stderr: milliseconds since node started (performance.now()), the CPU
// milliseconds the process has used so far (user + system: what a busy machine does not inflate as
// much as wall time) and a label. Without it a checkpoint costs one comparison.
const on = process.env['REWIND_TIMING'] === '1';

export function checkpoint(label: string): void {
  if (!on) return;
  const cpu = process.cpuUsage();
  process.stderr.write(`rewind: timing ${performance.now().toFixed(1)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms: ${label}\n`);
}
