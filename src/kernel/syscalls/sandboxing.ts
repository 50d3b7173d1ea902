// Rules for the calls sandboxes and container tools make: seccomp(2) and prctl(PR_SET_SECCOMP) (the
// program's own filter), unshare(2) and clone(2) namespace flags. Which arguments are supported is
// decided here, at the call's entry; the recorder applies it (src/record/program-seccomp.ts keeps what
// the program's filters mean for recording).

import {
  CLONE_FILES, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME,
  CLONE_NEWUSER, CLONE_NEWUTS, CLONE_SYSVSEM,
} from '../clone-flags.js';
import {
  PR_SET_SECCOMP, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_GET_NOTIF_SIZES, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT,
  SECCOMP_NOTIF_SIZES_SIZE, SECCOMP_SET_MODE_FILTER, SECCOMP_SET_MODE_STRICT,
} from '../seccomp.js';
import { argInt, argU64, rule, type Rule } from './outputs.js';

const STRICT = 'strict mode: the kernel refuses it once a filter is installed, and rewind\'s is';
const LISTENER = 'SECCOMP_FILTER_FLAG_NEW_LISTENER: a supervisor answering the program\'s syscalls (user notification) cannot be replayed';

/** seccomp(op, flags, args): strict mode and user-notification listeners are refused. */
export function seccompRefusal(args: readonly bigint[]): string | null {
  const op = Number(BigInt.asIntN(32, args[0]!));
  if (op === SECCOMP_SET_MODE_STRICT) return STRICT;
  if (op === SECCOMP_SET_MODE_FILTER && (args[1]! & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0n) return LISTENER;
  return null;
}

/** SECCOMP_GET_NOTIF_SIZES writes struct seccomp_notif_sizes at args[2]. */
export function seccompOut(): Rule {
  return rule('SECCOMP_GET_NOTIF_SIZES: seccomp_notif_sizes at arg2', (c) =>
    argInt(c, 0) === SECCOMP_GET_NOTIF_SIZES ? [{ addr: argU64(c, 2), len: SECCOMP_NOTIF_SIZES_SIZE }] : []);
}

/** prctl(PR_SET_SECCOMP, mode, …): strict mode is refused (as for seccomp). */
export function prctlRefusal(args: readonly bigint[]): string | null {
  const opt = Number(BigInt.asIntN(32, args[0]!));
  if (opt === PR_SET_SECCOMP && Number(BigInt.asIntN(32, args[1]!)) === SECCOMP_MODE_STRICT) return `PR_SET_SECCOMP ${STRICT}`;
  return null;
}

/** prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog) installs a filter: it must be installed at replay too. */
export function prctlInstallsFilter(args: readonly bigint[]): boolean {
  return Number(BigInt.asIntN(32, args[0]!)) === PR_SET_SECCOMP && Number(BigInt.asIntN(32, args[1]!)) === SECCOMP_MODE_FILTER;
}

/** Namespaces replay reproduces exactly: user and mount (mounts are emulated at replay). */
const SUPPORTED_NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS;
const NAMESPACE_NAMES: [bigint, string][] = [
  [CLONE_NEWPID, 'CLONE_NEWPID'], [CLONE_NEWNET, 'CLONE_NEWNET'], [CLONE_NEWIPC, 'CLONE_NEWIPC'], [CLONE_NEWUTS, 'CLONE_NEWUTS'],
  [CLONE_NEWCGROUP, 'CLONE_NEWCGROUP'], [CLONE_NEWTIME, 'CLONE_NEWTIME'],
];

function unsupportedNamespaces(flags: bigint, call: string): string | null {
  const names = NAMESPACE_NAMES.filter(([f]) => (flags & f) !== 0n).map(([, n]) => n);
  if (names.length === 0) return null;
  return `${names.join('|')} in ${call}: only user and mount namespaces (CLONE_NEWUSER, CLONE_NEWNS) are supported`;
}

/** unshare(flags): user and mount namespaces, and the unsharing of fs, files and SysV semaphore state. */
export function unshareRefusal(args: readonly bigint[]): string | null {
  const flags = BigInt.asUintN(32, args[0]!);
  const ns = unsupportedNamespaces(flags, 'unshare');
  if (ns) return ns;
  const other = flags & ~(SUPPORTED_NAMESPACES | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM);
  return other === 0n ? null : `flags 0x${other.toString(16)} are not supported`;
}

/** clone(flags, …): new namespaces other than user and mount are refused (the low byte is the exit signal). */
export function cloneRefusal(args: readonly bigint[]): string | null {
  return unsupportedNamespaces(BigInt.asUintN(32, args[0]!) & ~0xffn, 'clone');
}
