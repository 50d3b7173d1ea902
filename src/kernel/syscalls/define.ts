// Small constructors the family files use to declare table entries by kernel name.

import { SYS, type SyscallName } from '../syscall-names.js';
import type { CopyRule, ExecuteCtx, OutputRule, SizedFile, SyscallDef, WriteRule } from './types.js';

export interface EntryOpts {
  blocks?: boolean;
  note?: string;
  refuse?: SyscallDef['refuse'];
  executesIf?: (c: ExecuteCtx) => boolean;
  pidArg?: number;
  keepsRecordedResult?: boolean;
  writes?: WriteRule;
  copies?: CopyRule;
  fds?: SyscallDef['fds'];
  sizes?: SizedFile;
  changesCode?: boolean;
  noReturn?: SyscallDef['noReturn'];
  setsClearTid?: number;
  waitsForSignal?: boolean;
  yields?: boolean;
}

function entry(name: SyscallName, kind: SyscallDef['kind'], outputs: OutputRule[], opts: EntryOpts): SyscallDef {
  const d: SyscallDef = { nr: SYS[name], name, kind };
  if (outputs.length > 0) d.outputs = outputs;
  if (opts.blocks) d.blocks = true;
  if (opts.note) d.note = opts.note;
  if (opts.refuse) d.refuse = opts.refuse;
  if (opts.executesIf) d.executesIf = opts.executesIf;
  if (opts.pidArg !== undefined) d.pidArg = opts.pidArg;
  if (opts.keepsRecordedResult) d.keepsRecordedResult = true;
  if (opts.writes) d.writes = opts.writes;
  if (opts.copies) d.copies = opts.copies;
  if (opts.fds) d.fds = opts.fds;
  if (opts.sizes) d.sizes = opts.sizes;
  if (opts.changesCode) d.changesCode = true;
  if (opts.noReturn) d.noReturn = opts.noReturn;
  if (opts.setsClearTid !== undefined) d.setsClearTid = opts.setsClearTid;
  if (opts.waitsForSignal) d.waitsForSignal = true;
  if (opts.yields) d.yields = true;
  return d;
}

/** Recorded; replay returns the recorded result and memory without running it. */
export function emulate(name: SyscallName, outputs: OutputRule[] = [], opts: EntryOpts = {}): SyscallDef {
  return entry(name, 'emulate', outputs, opts);
}
/** Replay runs it for real (address space, signal state, task state). */
export function execute(name: SyscallName, outputs: OutputRule[] = [], opts: EntryOpts = {}): SyscallDef {
  return entry(name, 'execute', outputs, opts);
}
/** Refused with -ENOSYS at record and replay. */
export function enosys(name: SyscallName, note: string): SyscallDef {
  return entry(name, 'enosys', [], { note });
}
/** Recording stops with a message naming the syscall and `note`. */
export function unsupported(name: SyscallName, note: string): SyscallDef {
  return entry(name, 'unsupported', [], { note });
}
/** Shorthand for `{ blocks: true }`. */
export const BLOCKS: EntryOpts = { blocks: true };
