// Traced-process model: what the kernel's scheduler says a thread is doing (/proc/PID/task/TID/stat).
import { readFileSync } from 'node:fs';
import type { Task } from './task.js';

/**
 * The thread's scheduler state letter: R running or runnable, S asleep (interruptible: waiting for
 * something to happen), D uninterruptible (disk), t stopped by the tracer, Z/X gone; null if unreadable.
 */
export function threadState(task: Task): string | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${task.tgid}/task/${task.tid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // "tid (comm) S ...": comm may hold spaces and parentheses, so look after the last ')'.
  const close = text.lastIndexOf(')');
  return close < 0 ? null : text.charAt(close + 2) || null;
}
