// CLI: `rewind ps [--json] [TRACE]`: the recorded processes (pid, parent pid, exit status, command line).
import { signalName } from '../kernel/signals.js';
import { ProcessTree } from '../trace/process-tree.js';
import { TraceReader } from '../trace/trace-reader.js';
import { parseArgs } from './args.js';
import { resolveTrace } from './trace-dirs.js';

interface Proc {
  pid: number;
  ppid: number | null;
  exit: string | null;
  command: string[];
  threads: number;
}

export function psCommand(args: string[]): number {
  const { options, operands } = parseArgs(args, { flags: ['--json'] });
  const reader = TraceReader.open(resolveTrace(operands[0]));
  const procs = new Map<number, Proc>();
  const tree = new ProcessTree();
  for (const ev of reader.events()) {
    tree.add(ev);
    switch (ev.kind) {
      case 'exec': {
        const tgid = tree.processOf(ev.tid)!;
        const p = procs.get(tgid);
        if (p) p.command = ev.argv;
        else procs.set(tgid, { pid: tgid, ppid: null, exit: null, command: ev.argv, threads: 1 });
        break;
      }
      case 'newtask': {
        const parent = tree.parentOf(ev.child);
        if (tree.processOf(ev.child) !== ev.child || parent === undefined) {
          const p = procs.get(tree.processOf(ev.child)!);
          if (p) p.threads++;
        } else {
          procs.set(ev.child, { pid: ev.child, ppid: parent, exit: null, command: procs.get(parent)?.command ?? [], threads: 1 });
        }
        break;
      }
      case 'exit': {
        const p = procs.get(ev.tid);
        if (p) p.exit = ev.code !== null ? String(ev.code) : signalName(ev.signal ?? 0);
        break;
      }
      default:
        break;
    }
  }
  const list = [...procs.values()];
  if (options.has('--json')) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
  } else {
    const rows = list.map((p) => `${String(p.pid).padEnd(8)}${String(p.ppid ?? '--').padEnd(8)}${(p.exit ?? '?').padEnd(9)}${p.command.join(' ')}`);
    process.stdout.write(`${'PID'.padEnd(8)}${'PPID'.padEnd(8)}${'EXIT'.padEnd(9)}CMD\n${rows.join('\n')}${rows.length ? '\n' : ''}`);
  }
  if (reader.endState === 'truncated') {
    process.stderr.write('rewind: the trace ends early (the recording was interrupted); processes still running then show exit ?\n');
    return 125;
  }
  return 0;
}
