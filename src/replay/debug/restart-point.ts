// Replay debugging: where gdb's `run` (vRun) restarts the replay, from the words after `run`:
// nothing (or the program's own name) → the start of the debugged history, `cN` → checkpoint N
// (`monitor checkpoint`), `eN` → event N (as `rewind replay -g N`). Pure.

export type RestartPoint =
  | { kind: 'start' }
  | { kind: 'checkpoint'; n: number }
  | { kind: 'event'; n: number };

export const RESTART_USAGE = 'run takes nothing (the start), cN (checkpoint N) or eN (event N)';

/**
 * The point the `run` arguments name, or an error message. `programNames` are the names that mean
 * "the program itself" (gdb may pass the program's name as the first argument).
 */
export function parseRestartPoint(args: readonly string[], programNames: readonly string[]): RestartPoint | string {
  const words = args.filter((a) => a !== '');
  if (words.length === 0) return { kind: 'start' };
  if (words.length > 1) return `${RESTART_USAGE}; got ${words.length} words`;
  const word = words[0]!;
  if (programNames.includes(word)) return { kind: 'start' };
  const m = /^([ce])(\d{1,15})$/.exec(word);
  if (!m) return `${RESTART_USAGE}; got ${JSON.stringify(word.slice(0, 40))}`;
  const n = Number(m[2]);
  return m[1] === 'c' ? { kind: 'checkpoint', n } : { kind: 'event', n };
}
