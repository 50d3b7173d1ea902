// Assertions shared by the end-to-end tests. Each failure message carries the commands and their output.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bytesEqual, explain, hasStackTrace, runNative, shellStatus, stderrLines, type RunResult } from './harness.js';

/** First word of every line: the "shape" of a program's output, equal across runs even when values differ. */
export function labels(out: Buffer | string): string[] {
  return out
    .toString('utf8')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
}

/** The run exited (not killed, not timed out) with the given shell-style status. */
export function assertStatus(r: RunResult, expected: number, what = 'command'): void {
  assert.equal(r.timedOut, false, `${what} timed out\n${explain(r)}`);
  assert.equal(shellStatus(r), expected, `${what}: expected status ${expected}\n${explain(r)}`);
}

/** A recorded program ran to EXIT-SUCCESS with the expected status and nothing was left running. */
export function assertRecordedOk(rec: RunResult, expectedStatus = 0): void {
  assertStatus(rec, expectedStatus, 'record');
  assert.ok(rec.stdout.toString().includes('EXIT-SUCCESS\n'), `record: no EXIT-SUCCESS in stdout\n${explain(rec)}`);
  assert.equal(rec.leftovers, false, `record: processes were left running after rewind exited\n${explain(rec)}`);
}

/** `replay -a` reproduced the recording: stdout and stderr byte for byte, and the status. */
export function assertReplayMatches(rec: RunResult, rep: RunResult): void {
  assert.equal(rep.timedOut, false, `replay timed out\n${explain(rep)}`);
  assert.equal(rep.leftovers, false, `replay: processes were left running after rewind exited\n${explain(rep)}`);
  const detail = `\n--- recording ---\n${explain(rec)}\n--- replay ---\n${explain(rep)}`;
  assert.ok(bytesEqual(rep.stdout, rec.stdout), `replay stdout differs from the recording's${detail}`);
  assert.ok(bytesEqual(rep.stderr, rec.stderr), `replay stderr differs from the recording's${detail}`);
  assert.equal(shellStatus(rep), shellStatus(rec), `replay status differs from the recording's${detail}`);
}

/** Two native runs printed different things (so an equality check against a replay can fail). */
export function assertDiffer(a: RunResult, b: RunResult, what: string): void {
  assert.ok(!bytesEqual(a.stdout, b.stdout), `${what}: two native runs printed the same; the test could not detect a bad replay\n${explain(a)}\n${explain(b)}`);
}

/**
 * Native runs of a program whose output depends on timing (a count of loop passes before a timer's
 * signal) until two print different things, at most `tries`: two that happen to agree (the same count,
 * seen once in a CI run) say nothing of the program. Each run must succeed.
 */
export async function assertNativeRunsDiffer(cmd: string, args: readonly string[], what: string, tries = 6): Promise<void> {
  const runs: RunResult[] = [];
  for (let i = 0; i < tries; i++) {
    const r = await runNative(cmd, args);
    assert.equal(r.status, 0, explain(r));
    if (runs.some((x) => !bytesEqual(x.stdout, r.stdout))) return;
    runs.push(r);
  }
  assertDiffer(runs[0]!, runs[1]!, `${what} (${tries} runs)`);
}

/** A failure reported the rewind way: exactly one line on stderr, no JavaScript stack trace. */
export function assertOneLineError(r: RunResult, what: string): void {
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `${what}: expected exactly one line on stderr, got ${lines.length}\n${explain(r)}`);
  assert.ok((lines[0] ?? '').trim().length > 0, `${what}: the error line is empty\n${explain(r)}`);
  assert.ok(!hasStackTrace(r.stderr.toString()), `${what}: stderr has a stack trace\n${explain(r)}`);
}

/** b starts with a (byte-wise). */
export function isPrefix(prefix: Buffer, whole: Buffer): boolean {
  return prefix.length <= whole.length && bytesEqual(whole.subarray(0, prefix.length), prefix);
}

/** The value after `key ` on the stdout line starting with `label `, or null. */
export function field(out: string, label: string, key: string): string | null {
  for (const line of out.split('\n')) {
    if (!line.startsWith(`${label} `)) continue;
    const words = line.split(' ');
    const i = words.indexOf(key);
    if (i >= 0 && i + 1 < words.length) return words[i + 1] ?? null;
  }
  return null;
}

/**
 * Copies the trace of a failing round out of the test's space (which is removed at the end) and
 * returns where it went, for the failure message.
 */
export function keepFailedTrace(traceDir: string, name: string): string {
  const dest = path.join(os.tmpdir(), `rewind-failed-${name}-${Date.now()}`);
  try {
    fs.cpSync(traceDir, dest, { recursive: true });
    return dest;
  } catch {
    return `${traceDir} (not copied)`;
  }
}
