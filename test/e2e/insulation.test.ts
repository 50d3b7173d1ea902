// A replay is insulated from the outside world: signals nobody recorded (SIGWINCH from a resized
// terminal, job control's SIGCONT/SIGTSTP, a stray `kill -USR1`) sent to the replayed processes again
// and again do not reach the program or derail the replay, with and without gdb attached. The program
// handles SIGUSR1, SIGWINCH and SIGCONT itself (and raises the first two), so a stray one that got
// through would change what it prints.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertRecordedOk, assertReplayMatches } from '../helpers/checks.js';
import { debugReplay } from '../helpers/gdb-session.js';
import { compileProgram, explain, record, rewindBin, start, TempSpace, type RecordResult } from '../helpers/harness.js';

const space = new TempSpace('insulation');
after(() => space.cleanup());

const STRAY = ['SIGWINCH', 'SIGCONT', 'SIGUSR1', 'SIGTSTP'] as const;
/**
 * Between rounds of stray signals. Every 3 ms (four signals to each replayed process and checkpoint
 * copy) made gdb's session take 55-145 s on a loaded 2-vCPU VM, near its 180 s limit: under a debugger
 * a point is found by a plain search, a stop per pass, and each stray signal is one more stop.
 */
const PESTER_MS = 10;

/** Processes running one of the trace's copies (the replayed tasks and their checkpoint copies). */
function replayedProcesses(traceDir: string): number[] {
  const files = fs.realpathSync(traceDir) + '/files/';
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/exe`).startsWith(files)) pids.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** Sends the stray signals to every replayed process every few ms until stopped; counts the signals sent. */
function pester(traceDir: string): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      for (const pid of replayedProcesses(traceDir)) {
        for (const sig of STRAY) {
          try {
            process.kill(pid, sig);
            sent++;
          } catch {
            // it just ended
          }
        }
      }
      await new Promise((r) => setTimeout(r, PESTER_MS));
    }
  })();
  return { stop: async () => { running = false; await loop; return sent; } };
}

describe('stray signals at replay (insulated.c)', () => {
  let exe = '';
  let rec: RecordResult;

  before(async () => {
    exe = compileProgram('insulated');
    rec = await record(exe, ['3000'], { space });
    assertRecordedOk(rec, 0);
    assert.match(rec.stdout.toString(), /child status 7/);
  });

  test('replay -a prints and exits as recorded while other processes signal the replayed tasks', async () => {
    let sent = 0;
    // Three replays, and more while none was found running in time (a loaded machine, a short replay).
    for (let round = 0; round < 3 || (sent === 0 && round < 12); round++) {
      const run = start(rewindBin, ['replay', '-a', rec.traceDir]);
      const p = pester(rec.traceDir);
      const rep = await run.done;
      sent += await p.stop();
      assertReplayMatches(rec, rep);
      assert.equal(rep.stderr.toString(), '', explain(rep));
    }
    assert.ok(sent > 0, 'no stray signal was sent: twelve replays ended before the test found their processes');
  });

  test('gdb on the replay: breakpoints, reverse-continue and the run to the end, with stray signals arriving', async () => {
    const p = pester(rec.traceDir);
    let gdb = '';
    try {
      ({ gdb } = await debugReplay(exe, rec.traceDir, [
        'handle SIGUSR1 nostop noprint pass', 'handle SIGWINCH nostop noprint pass',
        'break on_usr1', 'continue', 'print (int)usr1', 'continue', 'print (int)usr1', 'continue', 'print (int)usr1',
        'reverse-continue', 'print (int)usr1', 'delete', 'continue', 'echo MARK-END\\n', 'kill',
      ]));
    } finally {
      const sent = await p.stop();
      assert.ok(sent > 0, 'no stray signal was sent');
    }
    const values = [...gdb.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(values, [0, 1, 2, 1], gdb);
    assert.doesNotMatch(gdb, /SIGCONT|SIGTSTP|diverged/, gdb);
    assert.match(gdb, /MARK-END/, gdb);
  });
});

describe('replayed tasks carry their program\'s name', () => {
  test('/proc/PID/comm of every replayed process is what the kernel named it when recorded, not the trace copy\'s name', async () => {
    const exe = compileProgram('insulated');
    // Through a shell's exec: the first exec is sh's, the second the program's, by the name sh used.
    const rec = await record('/bin/sh', ['-c', `exec ${exe} 3000`], { space });
    assertRecordedOk(rec, 0);
    assertReplayMatches(rec, await start(rewindBin, ['replay', '-a', rec.traceDir]).done);
    const dump = await start(rewindBin, ['dump', '--json', rec.traceDir]).done;
    assert.equal(dump.status, 0, explain(dump));
    const events = dump.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { index: number; kind: string; path?: string });
    const programExec = events.find((e) => e.kind === 'exec' && e.path === exe)?.index;
    const forked = events.find((e) => e.kind === 'newtask' && e.index > (programExec ?? Infinity))?.index;
    assert.ok(programExec !== undefined && forked !== undefined && forked > programExec, `no exec of ${exe} followed by a fork in the trace`);
    // Stopped by gdb at an event, every replayed process (and checkpoint copy) is still there to be read.
    const files = fs.realpathSync(rec.traceDir) + '/files/';
    const names = async (event: number): Promise<string[]> => {
      const { gdb } = await debugReplay(null, rec.traceDir, [
        `shell for p in /proc/[0-9]*; do case "$(readlink $p/exe 2>/dev/null)" in "${files}"*) echo "COMM $(cat $p/comm)";; esac; done`,
        'kill',
      ], { args: ['-g', String(event)] });
      return [...gdb.matchAll(/^COMM (.*)$/gm)].map((m) => m[1]!);
    };
    const program = path.basename(exe).slice(0, 15);
    const inShell = await names(Math.max(1, programExec! - 2));
    assert.ok(inShell.length >= 1 && inShell.every((n) => n === 'sh'), `before the program's exec the replayed process is not named sh: ${inShell.join(', ')}`);
    const inProgram = await names(forked! + 2);
    assert.ok(inProgram.length >= 2, `after the fork, fewer than two replayed processes: ${inProgram.join(', ')}`);
    assert.ok(inProgram.every((n) => n === program), `after the fork, a replayed process is not named ${program}: ${inProgram.join(', ')}`);
  });
});
