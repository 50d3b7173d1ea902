// Replay debugging: stretches of the history known to hold no hit of a set of breakpoints and
// watchpoints. Replay is deterministic: once running from event boundary `from` to boundary `to` with
// a set armed met none of its traps, running that stretch again with any part of the set meets none
// either, so going back need not re-execute it to look for hits. A stretch is kept only when the
// whole set was in place for all of it (every breakpoint planted, no exec of the debugged process).
import { sameWatch, type TrapSpec } from './marks.js';

interface Stretch {
  from: number;
  to: number;
  spec: TrapSpec;
}

/** Stretches kept; the oldest go first beyond this. */
const MAX_STRETCHES = 512;

export class QuietStretches {
  private readonly list: Stretch[] = [];

  /** Running from boundary `from` to boundary `to` with spec armed met no trap of it. */
  note(from: number, to: number, spec: TrapSpec): void {
    if (to <= from) return;
    const same = this.list.find((s) => s.spec === spec && s.from <= to && from <= s.to);
    if (same) {
      same.from = Math.min(same.from, from);
      same.to = Math.max(same.to, to);
      return;
    }
    this.list.push({ from, to, spec });
    if (this.list.length > MAX_STRETCHES) this.list.shift();
  }

  /** Whether running from boundary `from` to boundary `to` is known to meet no trap of spec. */
  covers(from: number, to: number, spec: TrapSpec): boolean {
    let reach = from;
    const usable = this.list.filter((s) => includes(s.spec, spec)).sort((a, b) => a.from - b.from);
    for (const s of usable) {
      if (s.from > reach) break;
      reach = Math.max(reach, s.to);
      if (reach >= to) return true;
    }
    return reach >= to;
  }
}

/** Whether every trap of `part` is in `whole`. */
function includes(whole: TrapSpec, part: TrapSpec): boolean {
  return part.breakpoints.every((b) => whole.breakpoints.includes(b))
    && part.watches.every((w) => whole.watches.some((x) => sameWatch(x, w)));
}
