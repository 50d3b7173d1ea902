// Trace layer: meta.json, the human-readable description of a recording (what ran, where, when, how it
// ended). Written at the start of recording with end: null and rewritten atomically when it finishes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCpuidEntry } from './cpuid-entries.js';
import { describeError, TraceError } from './errors.js';
import type { CpuFacts, MachineFacts } from './machine.js';

/** Version of the whole trace format (meta.json and the events file). Readers refuse newer ones. */
export const TRACE_FORMAT_VERSION = 13;

/** The value of meta.json's "format" field. */
export const TRACE_FORMAT_NAME = 'rewind-trace';

export const META_FILE = 'meta.json';
export const EVENTS_FILE = 'events';
export const FILES_DIR = 'files';

/** Known at the start of a recording. */
export interface TraceMetaStart {
  /** The command line as the user gave it (argv[0] as typed). */
  command: string[];
  /** Absolute path of the executable that was started. */
  exe: string;
  /** Working directory of the recorded program. */
  cwd: string;
  /** ISO 8601 time the recording started. */
  startTime: string;
  hostname: string;
  /** Kernel release (uname -r). */
  kernel: string;
  /** Version of rewind that recorded it. */
  rewindVersion: string;
  /** CPU the recording was pinned to (-1: not pinned); replay pins to the same one (CPUID's APIC id). */
  cpu: number;
  /** Whether CPUID was trapped and recorded (CPUID faulting); replay must do the same. */
  cpuidFaulting: boolean;
  /** What the recording machine was (CPU, its features, kernel, C library); absent in older traces. */
  machine?: MachineFacts;
  /** Instructions rewind patched in the program's code instead of trapping them in the kernel (version 3 on). */
  patched?: PatchedKind[];
  /** What CPUID told the program: the CPU's own answers, or masked to a portable baseline (version 3 on). */
  cpuFeatures?: CpuFeatures;
  /** The program ran with rewind's syscall buffer (version 6 on): replay maps it and its buffers too. */
  syscallBuffer?: boolean;
  /**
   * The answers of the in-process CPUID that patched cpuid sites call (version 12 on, with the syscall
   * buffer and cpuid patched): `leaf[.subleaf] eax ebx ecx edx` in hex (src/trace/cpuid-entries.ts).
   */
  cpuidTable?: string[];
  /**
   * The limits that shape the address space the program started with (RLIMIT_STACK, RLIMIT_AS,
   * RLIMIT_DATA, RLIMIT_MEMLOCK, by short name: stack, as, data, memlock); replay starts it with the
   * same. Absent in older traces.
   */
  limits?: StartLimits;
}

/** One limit: soft and hard, each a decimal byte count or "unlimited". */
export interface LimitPair {
  soft: string;
  hard: string;
}
export type StartLimits = Record<string, LimitPair>;

export type PatchedKind = 'rdtsc' | 'cpuid';
export type CpuFeatures = 'native' | 'portable';

/** Known when a recording finishes. */
export interface TraceMetaEnd {
  /** Number of events written. */
  events: number;
  /** Exit code of the initial process if it exited normally, else null. */
  exitCode: number | null;
  /** Signal that killed the initial process, else null. */
  exitSignal: number | null;
  /** ISO 8601 time the recording ended. */
  endTime: string;
  durationMs: number;
}

export interface TraceMeta extends TraceMetaStart {
  format: 'rewind-trace';
  version: number;
  /** null while recording, or when the recorder died before finishing. */
  end: TraceMetaEnd | null;
}

/** Writes dir/meta.json through a temporary file and a rename, so a reader never sees half of it. */
export function writeMetaAtomic(dir: string, meta: TraceMeta): void {
  const file = path.join(dir, META_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n');
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do
    }
    throw new TraceError(`cannot write ${file}: ${describeError(e)}`);
  }
}

/** Reads and checks dir/meta.json. TraceError on a missing dir, not a trace, bad JSON or a newer version. */
export function readMeta(dir: string): TraceMeta {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TraceError(`no trace at ${dir}: it does not exist`);
    throw new TraceError(`cannot open trace ${dir}: ${describeError(e)}`);
  }
  if (!st.isDirectory()) throw new TraceError(`${dir} is not a rewind trace (not a directory)`);

  const file = path.join(dir, META_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TraceError(`${dir} is not a rewind trace (no ${META_FILE})`);
    throw new TraceError(`cannot read ${file}: ${describeError(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TraceError(`corrupt trace ${dir}: ${META_FILE} is not valid JSON (${describeError(e)})`);
  }
  return checkMeta(dir, raw);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMeta(dir: string, raw: unknown): TraceMeta {
  if (!isObject(raw) || raw['format'] !== TRACE_FORMAT_NAME) {
    throw new TraceError(`${dir} is not a rewind trace (${META_FILE} has no "format": "${TRACE_FORMAT_NAME}")`);
  }
  const version = raw['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new TraceError(`corrupt trace ${dir}: ${META_FILE} has an invalid version ${JSON.stringify(version)}`);
  }
  checkVersion(dir, version);

  const bad = (field: string, want: string): never => {
    throw new TraceError(`corrupt trace ${dir}: ${META_FILE} field "${field}" is not ${want}`);
  };
  const str = (o: Record<string, unknown>, k: string, prefix = ''): string => {
    const v = o[k];
    return typeof v === 'string' ? v : bad(prefix + k, 'a string');
  };
  const num = (o: Record<string, unknown>, k: string, prefix = ''): number => {
    const v = o[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : bad(prefix + k, 'a number');
  };
  const numOrNull = (o: Record<string, unknown>, k: string, prefix = ''): number | null => {
    const v = o[k];
    return v === null ? null : typeof v === 'number' && Number.isFinite(v) ? v : bad(prefix + k, 'a number or null');
  };

  const command = raw['command'];
  if (!Array.isArray(command) || !command.every((a) => typeof a === 'string')) bad('command', 'an array of strings');

  let end: TraceMetaEnd | null = null;
  const e = raw['end'];
  if (e !== null && e !== undefined) {
    if (!isObject(e)) bad('end', 'an object or null');
    const o = e as Record<string, unknown>;
    end = {
      events: num(o, 'events', 'end.'),
      exitCode: numOrNull(o, 'exitCode', 'end.'),
      exitSignal: numOrNull(o, 'exitSignal', 'end.'),
      endTime: str(o, 'endTime', 'end.'),
      durationMs: num(o, 'durationMs', 'end.'),
    };
  }

  const machine = raw['machine'] === undefined ? undefined : checkMachine(raw['machine'], bad);
  return {
    format: TRACE_FORMAT_NAME,
    version,
    command: command as string[],
    exe: str(raw, 'exe'),
    cwd: str(raw, 'cwd'),
    startTime: str(raw, 'startTime'),
    hostname: str(raw, 'hostname'),
    kernel: str(raw, 'kernel'),
    rewindVersion: str(raw, 'rewindVersion'),
    cpu: num(raw, 'cpu'),
    cpuidFaulting: typeof raw['cpuidFaulting'] === 'boolean' ? raw['cpuidFaulting'] : bad('cpuidFaulting', 'a boolean'),
    ...(machine ? { machine } : {}),
    ...optionalPatching(raw, bad),
    ...(raw['syscallBuffer'] === undefined ? {}
      : { syscallBuffer: typeof raw['syscallBuffer'] === 'boolean' ? raw['syscallBuffer'] : bad('syscallBuffer', 'a boolean') }),
    ...optionalLimits(raw, bad),
    ...optionalCpuidTable(raw, bad),
    end,
  };
}

function optionalPatching(raw: Record<string, unknown>, bad: (field: string, want: string) => never): Pick<TraceMetaStart, 'patched' | 'cpuFeatures'> {
  const out: Pick<TraceMetaStart, 'patched' | 'cpuFeatures'> = {};
  const p = raw['patched'];
  if (p !== undefined) {
    if (!Array.isArray(p) || !p.every((k) => k === 'rdtsc' || k === 'cpuid')) bad('patched', 'a list of "rdtsc" and "cpuid"');
    out.patched = p as PatchedKind[];
  }
  const f = raw['cpuFeatures'];
  if (f !== undefined) out.cpuFeatures = f === 'native' || f === 'portable' ? f : bad('cpuFeatures', '"native" or "portable"');
  return out;
}

function optionalCpuidTable(raw: Record<string, unknown>, bad: (field: string, want: string) => never): Pick<TraceMetaStart, 'cpuidTable'> {
  const t = raw['cpuidTable'];
  if (t === undefined) return {};
  if (!Array.isArray(t) || !t.every((e) => typeof e === 'string' && parseCpuidEntry(e) !== null)) {
    return bad('cpuidTable', 'a list of "leaf[.subleaf] eax ebx ecx edx" in hex');
  }
  return { cpuidTable: t as string[] };
}

function optionalLimits(raw: Record<string, unknown>, bad: (field: string, want: string) => never): Pick<TraceMetaStart, 'limits'> {
  const l = raw['limits'];
  if (l === undefined) return {};
  if (!isObject(l)) return bad('limits', 'an object');
  const value = (v: unknown): v is string => typeof v === 'string' && (v === 'unlimited' || /^(0|[1-9][0-9]{0,19})$/.test(v));
  const limits: StartLimits = {};
  for (const [name, pair] of Object.entries(l)) {
    if (!isObject(pair) || !value(pair['soft']) || !value(pair['hard'])) {
      bad(`limits.${name}`, 'an object with "soft" and "hard" (a decimal number or "unlimited")');
    }
    const p = pair as Record<string, string>;
    limits[name] = { soft: p['soft']!, hard: p['hard']! };
  }
  return { limits };
}

/** meta.json's optional "machine" object. */
function checkMachine(m: unknown, bad: (field: string, want: string) => never): MachineFacts {
  if (!isObject(m)) return bad('machine', 'an object');
  const c = m['cpu'];
  if (!isObject(c)) return bad('machine.cpu', 'an object');
  const str = (o: Record<string, unknown>, k: string, name: string): string =>
    typeof o[k] === 'string' ? o[k] : bad(name, 'a string');
  const intOrNull = (k: string): number | null => {
    const v = c[k];
    return v === null || (typeof v === 'number' && Number.isInteger(v)) ? v : bad(`machine.cpu.${k}`, 'an integer or null');
  };
  const flags = c['flags'];
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string')) bad('machine.cpu.flags', 'an array of strings');
  const cpu: CpuFacts = {
    vendor: str(c, 'vendor', 'machine.cpu.vendor'),
    name: str(c, 'name', 'machine.cpu.name'),
    family: intOrNull('family'),
    model: intOrNull('model'),
    stepping: intOrNull('stepping'),
    flags: flags as string[],
  };
  const libc = m['libc'];
  if (libc !== null && typeof libc !== 'string') bad('machine.libc', 'a string or null');
  return {
    cpu,
    kernelRelease: str(m, 'kernelRelease', 'machine.kernelRelease'),
    kernelVersion: str(m, 'kernelVersion', 'machine.kernelVersion'),
    libc: libc as string | null,
  };
}

/** TraceError when `version` (from meta.json or the events header) is newer than this rewind reads. */
export function checkVersion(dir: string, version: number, where = 'trace format'): void {
  if (version > TRACE_FORMAT_VERSION) {
    throw new TraceError(
      `cannot read trace ${dir}: ${where} version ${version} is newer than this rewind understands (${TRACE_FORMAT_VERSION}); upgrade rewind`,
    );
  }
}
