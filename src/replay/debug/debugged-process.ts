// Replay debugging: the one recorded process the debugger is attached to, looked up in the live replay:
// its real pid now, its live threads, which of them sit at a ptrace stop, whether a task belongs to it.
// The replay (restarted, or rebuilt on a restore point's copies) changes under it: each look-up asks the
// replay of the moment.
import type { Task } from '../../tracee/task.js';
import { isStopped, type RTask } from '../replayed-task.js';
import type { Replayer } from '../replayer.js';
import { TimelineError } from './timeline-error.js';

export class DebuggedProcess {
  constructor(readonly pid: number, private readonly replay: () => Replayer) {}

  /** The real pid of the process in the replay, or undefined before it exists or after it ended. */
  realPid(): number | undefined {
    const replayer = this.replay();
    const real = replayer.realTid(this.pid);
    if (real === undefined) return undefined;
    return replayer.liveTasks().has(this.pid) ? real : undefined;
  }

  /** Its live threads. */
  tasks(): RTask[] {
    const real = this.realPid();
    return [...this.replay().liveTasks().values()].filter((t) => t.task.tgid === real && isAlive(t));
  }

  /** Its threads at a ptrace stop (one running in the kernel cannot be changed). */
  stoppedTasks(): Task[] {
    return this.tasks().filter(isStopped).map((t) => t.task);
  }

  /** Recorded tids of its live threads (leader first). */
  threads(): number[] {
    return this.tasks().map((t) => t.recTid).sort((a, b) => (a === this.pid ? -1 : b === this.pid ? 1 : a - b));
  }

  /** The thread a stop not tied to one is reported in: the leader if alive, else any. */
  focusTid(): number {
    return this.threads()[0] ?? this.pid;
  }

  /** The live task of one of its recorded threads. */
  task(recTid: number): Task {
    const t = this.replay().liveTasks().get(recTid);
    if (!t || t.task.tgid !== this.realPid() || !isAlive(t)) throw new TimelineError(`no thread ${recTid}`);
    return t.task;
  }

  /** The same, for reading its registers: it must be at a stop (not waiting in the kernel). */
  stoppedTask(recTid: number): Task {
    const task = this.task(recTid);
    if (!isStopped(this.replay().liveTasks().get(recTid)!)) {
      throw new TimelineError(`thread ${recTid} is waiting inside a system call here (a vfork parent until its child executes): its registers cannot be read`);
    }
    return task;
  }

  /** Whether a replayed task is one of its threads. */
  owns(task: Task): boolean {
    return task.tgid === this.realPid();
  }

  /** Whether recorded thread recTid is live in the replay and one of its threads. */
  hasThread(recTid: number): boolean {
    const t = this.replay().liveTasks().get(recTid);
    return t !== undefined && this.owns(t.task);
  }
}

function isAlive(t: RTask): boolean {
  return t.parked?.kind !== 'exited' && t.parked?.kind !== 'killed';
}
