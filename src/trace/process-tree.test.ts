// The process tree derived from events: threads vs processes, parents, the program each runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLONE_THREAD, CLONE_VM } from '../kernel/clone-flags.js';
import { R, REGS_COUNT } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import type { ExecEvent, NewTaskEvent, TraceEvent } from './events.js';
import { createsThread, ProcessTree } from './process-tree.js';

function regsWithFlags(flags: bigint): BigUint64Array {
  const regs = new BigUint64Array(REGS_COUNT);
  regs[R.rdi] = flags;
  return regs;
}

function exec(tid: number, path: string): ExecEvent {
  const ref = { path, copy: '1-x', dev: 0n, ino: 0n, size: 0n, mtimeNs: 0n };
  return { kind: 'exec', tid, path, argv: [path], envp: [], exe: ref, interp: null, stackAddr: 0n, stack: new Uint8Array(), regs: regsWithFlags(0n), newTid: tid };
}

function newTask(tid: number, child: number, nr: number, flags = 0n): NewTaskEvent {
  return { kind: 'newtask', tid, child, nr, regs: regsWithFlags(flags) };
}

test('createsThread: clone with CLONE_THREAD only; fork, vfork and clone without it make processes', () => {
  assert.equal(createsThread(SYS.clone, regsWithFlags(CLONE_VM | CLONE_THREAD)), true);
  assert.equal(createsThread(SYS.clone, regsWithFlags(CLONE_VM)), false);
  assert.equal(createsThread(SYS.fork, regsWithFlags(CLONE_THREAD)), false);
  assert.equal(createsThread(SYS.vfork, regsWithFlags(0n)), false);
});

test('threads belong to their creator\'s process; forked children are processes with a parent', () => {
  const events: TraceEvent[] = [
    exec(10, '/bin/sh'),
    newTask(10, 11, SYS.clone, CLONE_VM | CLONE_THREAD),
    newTask(11, 12, SYS.fork),
    newTask(12, 13, SYS.clone, CLONE_THREAD),
  ];
  const tree = ProcessTree.of(events);
  assert.equal(tree.processOf(10), 10);
  assert.equal(tree.processOf(11), 10);
  assert.equal(tree.processOf(12), 12);
  assert.equal(tree.processOf(13), 12);
  assert.equal(tree.processOf(99), undefined);
  assert.equal(tree.parentOf(12), 10);
  assert.equal(tree.parentOf(10), undefined);
});

test('imageOf: the latest exec, else the parent\'s; only the first `count` events count', () => {
  const events: TraceEvent[] = [exec(10, '/bin/sh'), newTask(10, 12, SYS.vfork), exec(12, '/bin/ls')];
  assert.equal(ProcessTree.of(events).imageOf(12)?.path, '/bin/ls');
  assert.equal(ProcessTree.of(events, 2).imageOf(12)?.path, '/bin/sh');
  assert.equal(ProcessTree.of(events, 0).imageOf(10), undefined);
});
