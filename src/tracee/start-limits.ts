// Traced-process model: the resource limits that shape the address space (RLIMIT_STACK, RLIMIT_AS,
// RLIMIT_DATA, RLIMIT_MEMLOCK) a program starts with. The program inherits rewind's, which come from the
// user's shell (`ulimit -s`) and may differ between record and replay; recording notes them in meta.json
// and replay gives the launcher the same ones before it execs (execve places mmap_base by the stack limit,
// and the stack grows only as far as it allows), so the replayed program starts in the same address space.
import { ADDRESS_SPACE_LIMITS, type AddressSpaceLimit, RLIM_INFINITY } from '../kernel/rlimit.js';
import { native } from '../native/addon.js';
import type { LimitPair, StartLimits } from '../trace/meta.js';
import { TraceeError } from './errors.js';

const EPERM = 1;

function text(v: bigint): string {
  return v === RLIM_INFINITY ? 'unlimited' : v.toString();
}

function value(s: string): bigint {
  return s === 'unlimited' ? RLIM_INFINITY : BigInt(s);
}

function bytes(v: bigint): string {
  return v === RLIM_INFINITY ? 'unlimited' : `${v} bytes`;
}

function current(pid: number, resource: number, name: string): { soft: bigint; hard: bigint } {
  const old = new BigUint64Array(2);
  const r = native.prlimit(pid, resource, 0, 0n, 0n, old);
  if (r < 0) throw new TraceeError(`cannot read the ${name} limit of process ${pid || 'rewind'} (errno ${-r})`);
  return { soft: old[0]!, hard: old[1]! };
}

const LIMIT_TEXT: Record<AddressSpaceLimit, string> = {
  stack: 'stack size (RLIMIT_STACK, ulimit -s)',
  as: 'address space (RLIMIT_AS, ulimit -v)',
  data: 'data segment (RLIMIT_DATA, ulimit -d)',
  memlock: 'locked memory (RLIMIT_MEMLOCK, ulimit -l)',
};

/** The address-space limits of process pid (0: rewind itself, whose limits the program inherits). */
export function startLimits(pid = 0): StartLimits {
  const out: StartLimits = {};
  for (const [name, resource] of Object.entries(ADDRESS_SPACE_LIMITS) as [AddressSpaceLimit, number][]) {
    const l = current(pid, resource, name);
    out[name] = { soft: text(l.soft), hard: text(l.hard) };
  }
  return out;
}

/**
 * Gives process pid (the launcher, stopped before its execve) the recorded limits. A hard limit above
 * this process's may only be raised by a privileged user: without that the hard limit stays as it is
 * (a program that later raises its soft limit past it diverges, and replay says so); a soft limit above
 * it cannot be had at all, which is an error naming the limit. Names rewind does not know are ignored.
 */
export function applyStartLimits(pid: number, limits: StartLimits): void {
  for (const [name, resource] of Object.entries(ADDRESS_SPACE_LIMITS) as [AddressSpaceLimit, number][]) {
    const want: LimitPair | undefined = limits[name];
    if (!want) continue;
    const soft = value(want.soft);
    const hard = value(want.hard);
    const now = current(pid, resource, name);
    if (now.soft === soft && now.hard === hard) continue;
    const old = new BigUint64Array(2);
    let r = native.prlimit(pid, resource, 1, soft, hard, old);
    if (r === -EPERM && hard > now.hard && soft <= now.hard) r = native.prlimit(pid, resource, 1, soft, now.hard, old);
    if (r === -EPERM) {
      throw new TraceeError(`the recording ran with a ${LIMIT_TEXT[name]} limit of ${bytes(soft)}, above the hard limit here (${bytes(now.hard)}): replay needs the same limit (raise the hard limit, e.g. as root)`);
    }
    if (r < 0) throw new TraceeError(`cannot set the ${LIMIT_TEXT[name]} limit to ${bytes(soft)} for replay (errno ${-r})`);
  }
}
