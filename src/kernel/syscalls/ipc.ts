// Futexes, System V IPC and POSIX message queues (futex(2), semop(2), msgrcv(2), mq_timedreceive(2)).

import { Struct } from '../structs.js';
import { SHM_EXEC } from '../mman.js';
import { BLOCKS, emulate, execute } from './define.js';
import { fixed, resultBytes, u32 } from './outputs.js';
import { futexOut, msgctlOut, msgrcvOut, semctlOut, shmctlOut } from './outputs-cmd.js';
import type { SyscallDef } from './types.js';

const ORDERED = 'emulated: replay runs the threads one at a time in the recorded order, so a wait ends when and as it did';
const SHM = 'a segment is followed as a shared backing: replay maps one memory file per segment where shmat attached it (src/syscalls/shm.ts)';

export const IPC: readonly SyscallDef[] = [
  emulate('futex', [futexOut()], { blocks: true, note: ORDERED }),
  emulate('futex_waitv', [], { blocks: true, note: ORDERED }),
  emulate('futex_wake', [], { note: ORDERED }),
  emulate('futex_wait', [], { blocks: true, note: ORDERED }),
  emulate('futex_requeue', [], { note: ORDERED }),
  emulate('shmget', [], { note: 'replay hands back the recorded id; no segment is made' }),
  execute('shmat', [], {
    note: SHM,
    refuse: (a) => ((a[2]! & SHM_EXEC) !== 0n ? 'SHM_EXEC (code rewind would not see to patch) is not supported' : null),
  }),
  execute('shmdt', [], { note: 'replay unmaps the segment\'s backing' }),
  emulate('shmctl', [shmctlOut()], { note: 'IPC_STAT, IPC_RMID… recorded; the backing lives as long as the replay' }),
  emulate('semget'),
  emulate('semop', [], BLOCKS),
  emulate('semtimedop', [], BLOCKS),
  emulate('semctl', [semctlOut()]),
  emulate('msgget'),
  emulate('msgsnd', [], BLOCKS),
  emulate('msgrcv', [msgrcvOut()], BLOCKS),
  emulate('msgctl', [msgctlOut()]),
  emulate('mq_open'),
  emulate('mq_unlink'),
  emulate('mq_timedsend', [], BLOCKS),
  emulate('mq_timedreceive', [resultBytes(1, 2), u32(3)], BLOCKS), // message, priority
  emulate('mq_notify'),
  emulate('mq_getsetattr', [fixed(2, Struct.mq_attr.size)]),
];
