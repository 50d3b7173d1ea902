// The table's rules for seccomp, prctl(PR_SET_SECCOMP), unshare, clone namespace flags and mount:
// which arguments are refused at entry and which calls run again at replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYS } from '../syscall-names.js';
import { syscallDef } from './index.js';

const a = (...v: number[]): bigint[] => [...v.map(BigInt), 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
const def = (name: keyof typeof SYS) => syscallDef(SYS[name])!;

test('seccomp: filters run again at replay; strict mode and user-notification listeners are refused', () => {
  const d = def('seccomp');
  assert.equal(d.kind, 'execute');
  assert.equal(d.refuse!(a(1, 0, 0x1000)), null); // SET_MODE_FILTER
  assert.equal(d.refuse!(a(1, 1, 0x1000)), null); // with TSYNC
  assert.equal(d.refuse!(a(2, 0, 0x1000)), null); // GET_ACTION_AVAIL
  assert.match(d.refuse!(a(0))!, /^strict mode/);
  assert.match(d.refuse!(a(1, 8, 0x1000))!, /NEW_LISTENER/);
  const sizes = d.outputs![0]!({ args: a(3, 0, 0x2000), result: 0n, readMem: () => new Uint8Array() });
  assert.deepEqual(sizes, [{ addr: 0x2000n, len: 6 }]); // GET_NOTIF_SIZES
});

test('prctl: PR_SET_SECCOMP with a filter is executed at replay, strict mode refused, other options emulated', () => {
  const d = def('prctl');
  assert.equal(d.kind, 'emulate');
  assert.equal(d.executesIf!({ args: a(22, 2, 0x1000), result: 0n, isRecorded: () => true }), true);
  assert.equal(d.executesIf!({ args: a(38, 1), result: 0n, isRecorded: () => true }), false); // PR_SET_NO_NEW_PRIVS
  assert.match(d.refuse!(a(22, 1))!, /PR_SET_SECCOMP strict mode/);
  assert.equal(d.refuse!(a(22, 2, 0x1000)), null);
  assert.deepEqual(d.outputs![0]!({ args: a(22, 2, 0x1000), result: 0n, readMem: () => new Uint8Array() }), []);
});

test('unshare and clone: user and mount namespaces only', () => {
  const u = def('unshare');
  assert.equal(u.kind, 'execute');
  for (const flags of [0x10000000, 0x20000, 0x10020000, 0x200, 0x400, 0x40000]) assert.equal(u.refuse!(a(flags)), null, flags.toString(16));
  assert.match(u.refuse!(a(0x20000000))!, /^CLONE_NEWPID in unshare/);
  assert.match(u.refuse!(a(0x40000000 | 0x4000000))!, /^CLONE_NEWNET\|CLONE_NEWUTS in unshare/);
  assert.match(u.refuse!(a(0x100))!, /flags 0x100 are not supported/); // CLONE_VM
  const c = def('clone');
  assert.equal(c.refuse!(a(0x10020011)), null);
  assert.equal(c.refuse!(a(0x3d0f00)), null); // pthread_create's flags
  assert.match(c.refuse!(a(0x20000011))!, /^CLONE_NEWPID in clone/);
  assert.match(c.refuse!(a(0x8000011))!, /^CLONE_NEWIPC in clone/);
  assert.equal(c.refuse!(a(0x80 | 0x100)), null); // exit signal 128 is not CLONE_NEWTIME (clone3 only)
});

test('mount and umount2 are emulated: replay never mounts', () => {
  assert.equal(def('mount').kind, 'emulate');
  assert.equal(def('umount2').kind, 'emulate');
  assert.equal(def('setns').kind, 'unsupported');
});
