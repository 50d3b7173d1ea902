// Signals (rt_sigaction(2), rt_sigprocmask(2), sigaltstack(2), kill(2), rt_sigtimedwait(2), signalfd(2)…).
// Handler, mask and alternate-stack state are executed again at replay so signal delivery matches.

import { Struct } from '../structs.js';
import { BLOCKS, emulate, execute } from './define.js';
import { fixed, sizeFromArg } from './outputs.js';
import type { SyscallDef } from './types.js';

export const SIGNAL: readonly SyscallDef[] = [
  // rt_sigaction(sig, act, oact, sigsetsize): the kernel sigaction is 24 bytes + the sigset
  execute('rt_sigaction', [sizeFromArg(2, 3, Struct.sigaction.sa_mask)]),
  execute('rt_sigprocmask', [sizeFromArg(2, 3)]), // old set: sigsetsize bytes
  execute('rt_sigreturn', [], { keepsRecordedResult: true }), // returns the rax it restores
  execute('sigaltstack', [fixed(1, Struct.stack_t.size)]),
  execute('rt_sigsuspend', [], { blocks: true, waitsForSignal: true, note: 'returns when a signal arrives; replay re-creates the signal' }),
  emulate('rt_sigpending', [sizeFromArg(0, 1)]),
  emulate('rt_sigtimedwait', [fixed(1, Struct.siginfo.size)], BLOCKS), // info filled when result is a signal
  emulate('rt_sigqueueinfo'),
  emulate('rt_tgsigqueueinfo'),
  emulate('kill'),
  emulate('tkill'),
  emulate('tgkill'),
  emulate('pidfd_send_signal'),
  emulate('pause', [], BLOCKS),
  emulate('signalfd'),
  emulate('signalfd4'),
];
