// CLI: a small option parser. Options come before the first operand; `--` ends them. A long option's
// value may follow it or be joined with `=` (`--cpu-features=portable`).
import { UsageError } from './usage-error.js';

export interface OptionSpec {
  /** Option names that take a value, e.g. ['-o', '--output']. */
  withValue?: string[];
  /** Flags, e.g. ['-a', '--autopilot']. */
  flags?: string[];
  /** Stop at the first operand (record: everything after it is the program's). */
  stopAtOperand?: boolean;
}

export interface Parsed {
  options: Map<string, string | true>;
  operands: string[];
}

export function parseArgs(args: string[], spec: OptionSpec): Parsed {
  const options = new Map<string, string | true>();
  const operands: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') { i++; break; }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      if (eq > 0 && spec.withValue?.includes(a.slice(0, eq))) {
        options.set(a.slice(0, eq), a.slice(eq + 1));
      } else if (spec.withValue?.includes(a)) {
        if (i + 1 >= args.length) throw new UsageError(`option ${a} needs a value`);
        options.set(a, args[++i]!);
      } else if (spec.flags?.includes(a)) {
        options.set(a, true);
      } else {
        throw new UsageError(`unknown option ${a}`);
      }
      continue;
    }
    if (spec.stopAtOperand) break;
    operands.push(a);
  }
  operands.push(...args.slice(i));
  return { options, operands };
}
