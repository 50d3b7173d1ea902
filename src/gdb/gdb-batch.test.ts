// End-to-end test with the real gdb (13) in batch mode against the scripted target: gdb must
// accept our target description, read registers and memory, step and continue both ways, and
// detach or kill. Skipped when gdb is not installed.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { serveGdb, type ServeResult } from './server.js';
import { ScriptedTarget, type ScriptedTargetOptions } from './testing/scripted-target.js';

const run = promisify(execFile);
const haveGdb = spawnSync('gdb', ['--version']).status === 0;

async function gdbSession(opts: Partial<ScriptedTargetOptions>, commands: string[]) {
  const target = new ScriptedTarget({
    history: [0x401000n, 0x401001n, 0x401004n, 0x401005n],
    memory: [{ addr: 0x401000n, data: Uint8Array.from([0x90, 0x48, 0x31, 0xc0, 0x90, 0xc3, 0x90, 0x90]) }],
    writes: new Map([[3, 0x401000n]]),
    ...opts,
  });
  let port = 0;
  let done!: Promise<ServeResult>;
  await new Promise<void>((resolve) => {
    done = serveGdb(target, { onListening: (a) => ((port = a.port), resolve()) });
  });
  const args = ['-nx', '-batch', '-ex', 'set architecture i386:x86-64', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  const { stdout, stderr } = await run('gdb', args, { timeout: 60000 });
  return { output: stdout + stderr, result: await done, target };
}

test('gdb reads registers and memory, steps both ways and detaches', { skip: !haveGdb }, async () => {
  const { output, result, target } = await gdbSession({ monitor: (cmd) => `rewind says: ${cmd}\n` }, [
    'info registers rip',
    'x/4xb $pc',
    'stepi',
    'info registers rip',
    'reverse-stepi',
    'info registers rip',
    'break *0x401004',
    'continue',
    'info registers rip',
    'reverse-continue',
    'p/x $eflags',
    'p $fs_base',
    'info threads',
    'monitor when',
    'detach',
  ]);
  const rips = [...output.matchAll(/^rip\s+(0x[0-9a-f]+)/gm)].map((m) => m[1]);
  assert.deepEqual(rips, ['0x401000', '0x401001', '0x401000', '0x401004'], output);
  assert.match(output, /0x401000:\t0x90\t0x48\t0x31\t0xc0/);
  assert.match(output, /Breakpoint 1, 0x0000000000401004 in \?\? \(\)/);
  assert.match(output, /No more reverse-execution history\./);
  assert.match(output, /\$1 = 0x246/);
  assert.match(output, /\$2 = 0/);
  assert.match(output, /Thread 4242\.4242/);
  assert.match(output, /rewind says: when/);
  assert.match(output, /\[Inferior 1 \(process 4242\) detached\]/);
  assert.doesNotMatch(output, /Remote failure|Could not|Truncated register/i);
  assert.deepEqual(result, { reason: 'detach' });
  assert.ok(target.calls.includes('resume backward continue all +others sig=0'));
});

test('gdb with AVX-512 registers, an access watchpoint, and kill', { skip: !haveGdb }, async () => {
  const { output, result } = await gdbSession({ registerSet: 'avx512' }, [
    'p $ymm0.v8_int32',
    'p $zmm31.v8_int64',
    'p $k7',
    'p $orig_rax',
    'awatch *(long *)0x401000',
    'continue',
    'info registers rip',
    'kill',
  ]);
  assert.match(output, /\$1 = \{0, 0, 0, 0, 0, 0, 0, 0\}/, output);
  assert.match(output, /\$2 = \{0, 0, 0, 0, 0, 0, 0, 0\}/);
  // The scripted program writes 0x401000 on arriving at position 3 (rip 0x401005).
  assert.match(output, /Hardware access \(read\/write\) watchpoint 1: \*\(long \*\)0x401000\n\nValue = /);
  assert.match(output, /^rip\s+0x401005/m);
  assert.match(output, /\[Inferior 1 \(process 4242\) killed\]/);
  assert.deepEqual(result, { reason: 'kill' });
});

test('a server busy for 3 s right after answering qSupported still completes the handshake (gdb resends, answered once)', { skip: !haveGdb }, async () => {
  // Like a replay whose preparation runs while gdb connects: the first reply goes out, then the
  // server's event loop is blocked longer than gdb's 2 s remotetimeout, so gdb resends QStartNoAckMode.
  const scripted = new ScriptedTarget({
    history: [0x401000n, 0x401001n],
    memory: [{ addr: 0x401000n, data: Uint8Array.from([0x90, 0x90, 0x90, 0x90]) }],
  });
  let blocked = false;
  const target = new Proxy(scripted, {
    get(t, prop, receiver) {
      if (prop === 'canReverse' && !blocked) { // read while qSupported is answered
        blocked = true;
        setTimeout(() => {
          const until = Date.now() + 3000;
          while (Date.now() < until) { /* busy: the event loop is blocked */ }
        }, 0);
      }
      return Reflect.get(t, prop, receiver) as unknown;
    },
  });
  let port = 0;
  let done!: Promise<ServeResult>;
  await new Promise<void>((resolve) => {
    done = serveGdb(target, { onListening: (a) => ((port = a.port), resolve()) });
  });
  const t0 = Date.now();
  const { stdout, stderr } = await run('gdb', ['-nx', '-batch', '-ex', 'set architecture i386:x86-64', '-ex', `target remote 127.0.0.1:${port}`,
    '-ex', 'info registers rip', '-ex', 'detach'], { timeout: 60000 });
  const output = stdout + stderr;
  assert.ok(Date.now() - t0 >= 2500, `the server was not busy long enough to make gdb resend (${Date.now() - t0} ms)`);
  assert.doesNotMatch(output, /Protocol error|conflicting|Remote replied unexpectedly|Ignoring packet error/, output);
  assert.match(output, /^rip\s+0x401000/m, output);
  assert.deepEqual(await done, { reason: 'detach' });
});
