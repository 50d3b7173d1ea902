// Address space and memory policy (mmap(2), mprotect(2), madvise(2), mincore(2), mbind(2)…).
// Calls that build or change the address space are executed again at replay.

import { enosys, emulate, execute, unsupported } from './define.js';
import { iovecResult } from './outputs.js';
import { getMempolicyOut, mincoreOut, movePagesOut } from './outputs-cmd.js';
import type { SyscallDef } from './types.js';

const LOCKS = 'locked pages change what madvise and mremap may do: in force at replay as they were';

export const MEMORY: readonly SyscallDef[] = [
  execute('mmap', [], { note: 'runs again at replay to rebuild the address space', changesCode: true }),
  execute('munmap', [], { changesCode: true }),
  execute('mprotect', [], { changesCode: true }),
  execute('mremap', [], { changesCode: true }),
  execute('brk'),
  execute('madvise', [], { note: 'MADV_DONTNEED and friends change memory contents' }),
  execute('pkey_mprotect', [], { note: 'behaves as mprotect: pkey_alloc is refused, so the key is -1', changesCode: true }),
  execute('mseal'), // Linux 6.10
  emulate('msync'),
  emulate('mincore', [mincoreOut()]),
  execute('mlock', [], { note: LOCKS }),
  execute('mlock2', [], { note: LOCKS }),
  execute('munlock', [], { note: LOCKS }),
  execute('mlockall', [], { note: LOCKS }),
  execute('munlockall', [], { note: LOCKS }),
  emulate('mbind'),
  emulate('set_mempolicy'),
  emulate('set_mempolicy_home_node'),
  emulate('get_mempolicy', [getMempolicyOut()]),
  emulate('migrate_pages'),
  emulate('move_pages', [movePagesOut()]),
  emulate('membarrier', [], { note: 'replay runs one thread at a time: nothing to order' }),
  emulate('process_madvise', [], { note: 'advice only (MADV_COLD, MADV_PAGEOUT…): contents are unchanged' }),
  emulate('process_vm_readv', [iovecResult(1, 2)]),
  unsupported('process_vm_writev', 'writing another process\'s memory'),
  unsupported('remap_file_pages', 'deprecated nonlinear file mappings'),
  unsupported('process_mrelease', 'reaping another process\'s memory'),
  enosys('pkey_alloc', 'protection keys would make replayed accesses fault differently; glibc falls back'),
  enosys('pkey_free', 'pkey_alloc is refused'),
  enosys('memfd_secret', 'secret memory cannot be read by the tracer'),
  enosys('userfaultfd', 'page faults handled in user space cannot be recorded yet'),
  enosys('map_shadow_stack', 'shadow stacks are not supported yet'),
];
