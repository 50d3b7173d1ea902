// CLI: the commands `rewind replay` gives the gdb it starts (sourced with -x before it connects with
// `target extended-remote`): rr's `checkpoint`, `restart N`, `info checkpoints` and `when`. Restarting
// is gdb's own `run` with an argument the server understands (cN: checkpoint N, eN: event N, nothing:
// the start), so gdb drops every register and memory value it had read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * gdb asks before redefining its built-in checkpoint/restart (native-only commands), and `run` asks
 * before starting again: confirm is off while defining and inside `restart`, and the user's setting
 * is put back. `with args` leaves gdb's run arguments as they were, so a plain `run` still means
 * the start.
 */
export const GDB_SCRIPT = `set $_rewind_confirm = $_gdb_setting("confirm")
set confirm off
define checkpoint
  monitor checkpoint
end
document checkpoint
Remember this point of the replay; "restart N" comes back to it (rewind).
end
define restart
  if $argc != 1
    echo Usage: restart N (N as printed by checkpoint; info checkpoints lists them)\\n
  else
    monitor info checkpoint $arg0
    with confirm off -- with args c$arg0 -- run
  end
end
document restart
Go back (or forward) to checkpoint N: gdb's run with the argument cN (rewind).
"run" alone goes to the start of the replay, "run eN" to event N.
end
define info checkpoints
  monitor info checkpoints
end
document info checkpoints
List the checkpoints made by "checkpoint" (rewind).
end
define when
  monitor when
end
document when
Print the current event number of the replay (rewind).
end
if $_rewind_confirm
  set confirm on
end
`;

/**
 * gdb's command line: our commands, then the connection, then the program (for its symbols; null:
 * gdb asks the server which program it is and reads it from the recording).
 */
/** How long the gdb that `rewind replay` starts waits for a reply (seconds). */
export const GDB_REMOTE_TIMEOUT_S = 30;

export function gdbArguments(scriptPath: string, host: string, port: number, exe: string | null): string[] {
  // A replay's first answers can take a few seconds on a loaded machine (launching the replay, a
  // checkpoint, a long run to -g's event): gdb's default of 2 s would give up and resend.
  return ['-q', '-x', scriptPath, '-ex', `set remotetimeout ${GDB_REMOTE_TIMEOUT_S}`, '-ex', `target extended-remote ${host}:${port}`,
    ...(exe === null ? [] : [exe])];
}

/** Writes GDB_SCRIPT to a fresh private directory; `remove` deletes both. */
export function writeGdbScript(): { path: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewind-gdb-'));
  const file = path.join(dir, 'commands.gdb');
  fs.writeFileSync(file, GDB_SCRIPT, { mode: 0o600 });
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
