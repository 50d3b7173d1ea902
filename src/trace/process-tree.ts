// Trace layer: the recorded process tree, as the events give it: which process each recorded thread
// belongs to, which process forked which, and the program each process runs. The one place these are
// derived: `rewind ps`, `replay -p`, the debugger's program image, and the recorder and replayer when
// a clone creates a task.
import { CLONE_THREAD } from '../kernel/clone-flags.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { ExecEvent, TraceEvent } from './events.js';

/**
 * Whether fork, vfork or clone with these entry registers creates a thread of the caller's process
 * (clone with CLONE_THREAD in its flags, rdi) rather than a new process.
 */
export function createsThread(nr: number, regs: BigUint64Array): boolean {
  return nr === SYS.clone && (regs[R.rdi]! & CLONE_THREAD) !== 0n;
}

export class ProcessTree {
  /** Every recorded tid seen → its process (a leader's is its own tid). */
  private readonly owners = new Map<number, number>();
  /** Process → the process that forked it. */
  private readonly parents = new Map<number, number>();
  /** Process → its latest exec. */
  private readonly execs = new Map<number, ExecEvent>();

  /** The tree after the first `count` events (all by default). */
  static of(events: Iterable<TraceEvent>, count = Infinity): ProcessTree {
    const tree = new ProcessTree();
    let i = 0;
    for (const ev of events) {
      if (i++ >= count) break;
      tree.add(ev);
    }
    return tree;
  }

  /** Takes the next event into account (only exec and newtask change the tree). */
  add(ev: TraceEvent): void {
    if (ev.kind === 'exec') {
      const pid = this.processOf(ev.tid) ?? ev.tid;
      this.owners.set(ev.tid, pid);
      this.execs.set(pid, ev);
    } else if (ev.kind === 'newtask') {
      const parent = this.processOf(ev.tid) ?? ev.tid;
      if (createsThread(ev.nr, ev.regs)) {
        this.owners.set(ev.child, parent);
      } else {
        this.owners.set(ev.child, ev.child);
        this.parents.set(ev.child, parent);
      }
    }
  }

  /** The process a recorded tid belongs to, or undefined if the events so far never named it. */
  processOf(tid: number): number | undefined {
    return this.owners.get(tid);
  }

  /** The process that forked `pid`, or undefined for the first one. */
  parentOf(pid: number): number | undefined {
    return this.parents.get(pid);
  }

  /**
   * The program `pid` runs: its latest exec, or for a forked child that has not executed one, what it
   * inherited (its parent's, and so on up the tree).
   */
  imageOf(pid: number): ExecEvent | undefined {
    for (let p: number | undefined = pid; p !== undefined; p = this.parents.get(p)) {
      const found = this.execs.get(p);
      if (found) return found;
    }
    return undefined;
  }
}
