// Test harness for rewind's end-to-end tests and benchmark: where things are, compiling the C test
// programs (once, cached by content), running commands with a hard timeout, recording and replaying.
// Importing this module has no side effects beyond locating the repository.

import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this file to the directory holding package.json (works from test/ and dist/test/). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const name = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name;
        if (name === 'rewind') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the rewind repository root (package.json named "rewind")');
    dir = parent;
  }
}

export const repoRoot = findRepoRoot();
export const rewindBin = path.join(repoRoot, 'bin', 'rewind');
export const programsDir = path.join(repoRoot, 'test', 'programs');
/** Compiled test programs are cached here, keyed by a hash of source and flags (gitignored). */
export const programCacheDir = path.join(repoRoot, 'test-out', 'programs');

/** Every spawned command gets this unless told otherwise: a hang fails the test instead of CI. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export const CFLAGS = ['-O1', '-g', '-Wall', '-Werror'];

// ---------------------------------------------------------------------------------------------
// Bytes. With the pinned @types/node, TypeScript 5.9 does not accept a Buffer where a Uint8Array is
// expected; these helpers are the one place that bridges the two.

/** A Buffer seen as the Uint8Array it is. */
export function u8(b: Buffer): Uint8Array {
  return b as unknown as Uint8Array;
}

export function concatBytes(parts: Buffer[]): Buffer {
  return Buffer.concat(parts as unknown as Uint8Array[]);
}

/** Byte-for-byte equality. */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && Buffer.compare(u8(a), u8(b)) === 0;
}

// ---------------------------------------------------------------------------------------------
// Running commands

export interface RunOptions {
  /** Bytes for standard input; when absent stdin is /dev/null (or see `stdin`). */
  input?: string | Buffer;
  /** 'null' (default without input): /dev/null. 'closed': fd 0 closed in the child. */
  stdin?: 'null' | 'closed';
  /** Where stdout goes: captured (default) or an already-open file descriptor. */
  stdoutFd?: number;
  cwd?: string;
  /** Full environment (default: process.env). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  command: string;
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status, or null when killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Processes of the command's process group still held stdout/stderr open after it exited. */
  leftovers: boolean;
  durationMs: number;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function describeCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(quote).join(' ');
}

/** Kills a whole process group, ignoring "no such process". */
function killGroup(pgid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

export interface Started {
  pid: number;
  /** Resolves when the command has exited and its output is collected (or the timeout struck). */
  done: Promise<RunResult>;
  /** Output collected so far. */
  stdoutSoFar(): Buffer;
  stderrSoFar(): Buffer;
}

/**
 * Starts cmd in its own process group (so a timeout kills it and everything it started) and
 * collects its output. Never rejects because of the command's own failure.
 */
export function start(cmd: string, args: readonly string[], opts: RunOptions = {}): Started {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stdio: ('pipe' | 'ignore' | number)[] = [opts.input !== undefined ? 'pipe' : 'ignore', opts.stdoutFd ?? 'pipe', 'pipe'];
  const t0 = performance.now();
  const child = spawn(cmd, [...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio,
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let timedOut = false;
  let leftovers = false;
  const done = new Promise<RunResult>((resolve) => {
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exited = false;
    let finished = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      resolve({
        command: describeCommand(cmd, args),
        stdout: concatBytes(out),
        stderr: concatBytes(err),
        status: exitCode,
        signal: exitSignal,
        timedOut,
        leftovers,
        durationMs: performance.now() - t0,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
      // If even SIGKILL does not make 'close' arrive (a stuck pipe holder elsewhere), give up.
      setTimeout(finish, 5_000).unref();
    }, timeoutMs);
    child.on('error', (e) => {
      err.push(Buffer.from(`spawn error: ${e.message}\n`));
      exitCode = null;
      finish();
    });
    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      exitSignal = sig;
      // Output pipes close when the last holder exits. Something of the group still running after
      // the command exited (an orphaned tracee, say) would keep them open: kill it after a grace.
      graceTimer = setTimeout(() => {
        leftovers = true;
        if (child.pid !== undefined) killGroup(child.pid);
      }, 3_000);
    });
    child.on('close', () => {
      if (exited) finish();
      else setImmediate(() => finish());
    });
  });
  if (opts.input !== undefined && child.stdin) {
    child.stdin.on('error', () => {
      // the command may exit without reading all of its input
    });
    child.stdin.end(opts.input);
  }
  if (child.pid === undefined) {
    // spawn failed; 'error' resolves done
  }
  return {
    pid: child.pid ?? -1,
    done,
    stdoutSoFar: () => concatBytes(out),
    stderrSoFar: () => concatBytes(err),
  };
}

/** Runs a command to completion (with a timeout). stdin 'closed' runs it through a tiny sh wrapper. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.stdin === 'closed' && opts.input === undefined) {
    // exec with fd 0 closed: `exec CMD ARGS <&-`
    const r = await start('/bin/sh', ['-c', 'exec "$@" <&-', 'sh', cmd, ...args], opts).done;
    return { ...r, command: `${describeCommand(cmd, args)} <&-` };
  }
  return start(cmd, args, opts).done;
}

/** The same as run() but for a program expected to be deterministic about its output channels. */
export async function runNative(cmd: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return run(cmd, args, opts);
}

// ---------------------------------------------------------------------------------------------
// rewind itself

export function rewind(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(rewindBin, args, opts);
}

export interface RecordResult extends RunResult {
  traceDir: string;
}

export interface RecordOptions extends RunOptions {
  /** Trace directory to record into (must not exist or be empty); default: a fresh one under `space`. */
  traceDir?: string;
  /** Temporary space the default trace directory is made in; default: a new one (caller cleans). */
  space?: TempSpace;
  /** Options for rewind record before `--` (e.g. ['--pack']). */
  extraArgs?: readonly string[];
}

/** `rewind record -o DIR [extraArgs] -- cmd args...` into a fresh trace directory. */
export async function record(cmd: string, args: readonly string[] = [], opts: RecordOptions = {}): Promise<RecordResult> {
  const traceDir = opts.traceDir ?? path.join((opts.space ?? new TempSpace('record')).mkdir('trace-'), 'trace');
  const r = await rewind(['record', '-o', traceDir, ...(opts.extraArgs ?? []), '--', cmd, ...args], opts);
  return { ...r, traceDir };
}

/** `rewind replay -a TRACE` (stdin /dev/null unless told otherwise). */
export function replay(traceDir: string, opts: RunOptions = {}): Promise<RunResult> {
  return rewind(['replay', '-a', traceDir], opts);
}

/** Exit status the way a shell reports it: N, or 128+signal. */
export function shellStatus(r: RunResult): number | null {
  if (r.status !== null) return r.status;
  if (r.signal !== null) return 128 + os.constants.signals[r.signal];
  return null;
}

/** A readable summary of a run for assertion messages. */
export function explain(r: RunResult, maxChars = 2000): string {
  const cut = (b: Buffer): string => {
    const s = b.toString('utf8');
    return s.length > maxChars ? `${s.slice(0, maxChars)}… (${s.length} chars)` : s;
  };
  return (
    `$ ${r.command}\n  status ${r.status} signal ${r.signal}${r.timedOut ? ' TIMED OUT' : ''}` +
    `${r.leftovers ? ' LEFTOVER PROCESSES' : ''} (${Math.round(r.durationMs)} ms)\n` +
    `  --- stdout ---\n${cut(r.stdout)}\n  --- stderr ---\n${cut(r.stderr)}`
  );
}

/** Lines of stderr, without a final empty one. */
export function stderrLines(r: RunResult): string[] {
  const s = r.stderr.toString('utf8').replace(/\n$/, '');
  return s === '' ? [] : s.split('\n');
}

/** True if text looks like a JavaScript stack trace ("    at foo (file:1:2)"). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+/m.test(text) || /node:internal/.test(text);
}

// ---------------------------------------------------------------------------------------------
// Temporary space

/** A temporary directory for one test file; cleanup() removes it and everything in it. */
export class TempSpace {
  readonly root: string;
  constructor(label: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `rewind-test-${label}-`));
  }
  /** A new empty directory inside the space. */
  mkdir(prefix = 'd-'): string {
    return fs.mkdtempSync(path.join(this.root, prefix));
  }
  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }
  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling C test programs

let gccVersion: string | undefined;
function compilerId(): string {
  gccVersion ??= execFileSync('gcc', ['--version'], { encoding: 'utf8', timeout: DEFAULT_TIMEOUT_MS }).split('\n')[0];
  return gccVersion;
}

const compiled = new Map<string, string>();

/**
 * Compiles test/programs/NAME.c with gcc -O1 -g -Wall -Werror, once: the binary is cached under
 * test-out/programs/ by a hash of the source, flags and compiler, and written through a temporary
 * file and a rename so concurrent test files never see half of it. Returns the binary's path.
 */
export function compileProgram(name: string): string {
  const hit = compiled.get(name);
  if (hit) return hit;
  const src = path.join(programsDir, `${name}.c`);
  const source = fs.readFileSync(src);
  const shared = fs.readFileSync(path.join(programsDir, 'say.h'));
  const hash = createHash('sha256').update(u8(source)).update(u8(shared)).update(CFLAGS.join(' ')).update(compilerId())
    .digest('hex').slice(0, 16);
  fs.mkdirSync(programCacheDir, { recursive: true });
  const out = path.join(programCacheDir, `${name}-${hash}`);
  if (!fs.existsSync(out)) compileTo(src, out);
  compiled.set(name, out);
  return out;
}

/** Compiles a C file (or C source text) into dst, atomically, with CFLAGS plus opts.flags. */
export function compileTo(srcOrText: string, dst: string, opts: { text?: boolean; flags?: string[] } = {}): void {
  const tmp = `${dst}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let srcFile = srcOrText;
  if (opts.text) {
    srcFile = `${tmp}.c`;
    fs.writeFileSync(srcFile, srcOrText);
  }
  try {
    execFileSync('gcc', [...CFLAGS, ...(opts.flags ?? []), '-o', tmp, srcFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: DEFAULT_TIMEOUT_MS,
    });
    fs.renameSync(tmp, dst);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`compiling ${srcOrText.slice(0, 200)} failed: ${(e as Error).message}\n${stderr}`);
  } finally {
    if (opts.text) fs.rmSync(srcFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// File-system snapshots

/**
 * A description of everything under dir: one line per entry with relative path, type, mode, size,
 * mtime in nanoseconds, inode and, for files, a hash of the content. Sorted; symlinks not followed.
 */
export function snapshotDir(dir: string): string[] {
  const lines: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = fs.lstatSync(path.join(dir, r), { bigint: true });
      let type = '?';
      let extra = '';
      if (st.isDirectory()) type = 'd';
      else if (st.isSymbolicLink()) {
        type = 'l';
        extra = ` -> ${fs.readlinkSync(path.join(dir, r))}`;
      } else if (st.isFile()) {
        type = 'f';
        extra = ` sha256 ${createHash('sha256').update(u8(fs.readFileSync(path.join(dir, r)))).digest('hex').slice(0, 16)}`;
      }
      lines.push(`${r} ${type} mode ${(st.mode & 0o7777n).toString(8)} size ${st.size} mtime ${st.mtimeNs} ino ${st.ino}${extra}`);
      if (type === 'd') walk(r);
    }
  };
  walk('');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Environment probes

/** A real (ELF) python3, not a shell shim that forks (processes are out of scope for now). */
export function findPython(): string | null {
  const candidates = ['/usr/bin/python3', '/usr/local/bin/python3'];
  for (const c of candidates) {
    try {
      const real = fs.realpathSync(c);
      const fd = fs.openSync(real, 'r');
      const head = Buffer.alloc(4);
      fs.readSync(fd, u8(head), 0, 4, 0);
      fs.closeSync(fd);
      if (bytesEqual(head, Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return c;
    } catch {
      // next
    }
  }
  return null;
}

/** Absolute path of a command found on PATH (or null). */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  return null;
}

/** Deterministic pseudo-random bytes (xorshift) for generated input files. */
export function pseudoRandomBytes(n: number, seed = 0x12345678): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * A file of mixed content, partly compressible (repeated words and numbers) and partly not
 * (pseudo-random bytes), about `size` bytes.
 */
export function mixedContent(size: number, seed = 7): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let i = 0;
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  while (total < size) {
    let part: Buffer;
    if (i % 4 === 3) part = pseudoRandomBytes(16 * 1024, seed + i);
    else {
      const lines: string[] = [];
      for (let j = 0; j < 400; j++) lines.push(`${i}:${j} ${words[(i * 7 + j) % words.length]} ${(i * 2654435761 + j * 40503) % 1000003}`);
      part = Buffer.from(lines.join('\n') + '\n');
    }
    parts.push(part);
    total += part.length;
    i++;
  }
  return concatBytes(parts).subarray(0, size);
}

/** Sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether bin/rewind exists and is executable (for a clear failure message when it does not). */
export function rewindAvailable(): boolean {
  try {
    fs.accessSync(rewindBin, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
