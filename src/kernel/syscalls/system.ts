// System information and administration (uname(2), sysinfo(2), getrandom(2), syslog(2), mount(2),
// reboot(2), init_module(2), bpf(2)…).

import { Struct } from '../structs.js';
import { emulate, enosys, unsupported } from './define.js';
import { fixed, inOutLen, resultBytes, resultItems, rule } from './outputs.js';
import { E } from '../errno.js';
import { PERF_ATTR_SIZE } from '../perf-event.js';
import { statmountOut, syslogOut } from './outputs-cmd.js';
import type { SyscallDef } from './types.js';

const MOUNTS = 'mount namespace changes alter what later execve and mmap see';
const MOUNTED = 'runs at record; replay returns its result without mounting (what the program reads there comes from the trace)';
const ADMIN = 'system administration is not recorded';
const NI = 'not implemented by the x86-64 kernel';

/** perf_event_open: on E2BIG the kernel writes the attr size it expects into attr.size. */
function perfAttrSize() {
  return rule('arg0.size (u32) on E2BIG', (c) => (c.result === -BigInt(E.E2BIG) ? [{ addr: c.args[0]! + BigInt(PERF_ATTR_SIZE), len: 4 }] : []), true);
}

export const SYSTEM: readonly SyscallDef[] = [
  emulate('uname', [fixed(0, Struct.utsname.size)]),
  emulate('sysinfo', [fixed(0, Struct.sysinfo.size)]),
  emulate('getrandom', [resultBytes(0, 1)]),
  emulate('syslog', [syslogOut()]),
  emulate('sethostname'),
  emulate('setdomainname'),
  emulate('vhangup'),
  emulate('acct'),
  emulate('statmount', [statmountOut()]), // Linux 6.8
  emulate('listmount', [resultItems(1, 8)]), // u64 mount ids
  emulate('lsm_get_self_attr', [inOutLen(1, 2)]), // *size = bytes written
  emulate('lsm_set_self_attr'),
  emulate('lsm_list_modules', [inOutLen(0, 1)]),
  emulate('mount', [], { note: MOUNTED }),
  emulate('umount2', [], { note: MOUNTED }),
  unsupported('pivot_root', MOUNTS),
  unsupported('open_tree', MOUNTS),
  unsupported('open_tree_attr', MOUNTS),
  unsupported('move_mount', MOUNTS),
  unsupported('fsopen', MOUNTS),
  unsupported('fsconfig', MOUNTS),
  unsupported('fsmount', MOUNTS),
  unsupported('fspick', MOUNTS),
  unsupported('mount_setattr', MOUNTS),
  unsupported('reboot', ADMIN),
  unsupported('swapon', ADMIN),
  unsupported('swapoff', ADMIN),
  unsupported('init_module', 'loading kernel modules'),
  unsupported('finit_module', 'loading kernel modules'),
  unsupported('delete_module', 'unloading kernel modules'),
  unsupported('kexec_load', ADMIN),
  unsupported('kexec_file_load', ADMIN),
  unsupported('quotactl', 'disk quota commands are not decoded'),
  unsupported('quotactl_fd', 'disk quota commands are not decoded'),
  unsupported('iopl', 'direct I/O port access'),
  unsupported('ioperm', 'direct I/O port access'),
  unsupported('modify_ldt', 'custom segment descriptors'),
  unsupported('uselib', 'obsolete a.out library loading'),
  unsupported('add_key', 'kernel keyrings are not recorded yet'),
  unsupported('request_key', 'kernel keyrings are not recorded yet'),
  unsupported('keyctl', 'kernel keyrings are not recorded yet'),
  enosys('bpf', 'BPF programs and maps cannot be recorded'),
  emulate('perf_event_open', [perfAttrSize()], {
    note: 'runs at record (software events count; a hardware one gets the kernel\'s answer); replay hands back the fd, and '
      + 'reads and ioctls on it are emulated; its ring buffer (mmap) and signals (O_ASYNC, sigtrap) are refused (src/syscalls/perf-event.ts)',
  }),
  enosys('landlock_create_ruleset', 'programs run without Landlock under rewind'),
  enosys('landlock_add_rule', 'programs run without Landlock under rewind'),
  enosys('landlock_restrict_self', 'programs run without Landlock under rewind'),
  enosys('lookup_dcookie', 'removed from the kernel'),
  enosys('_sysctl', 'removed from the kernel'),
  enosys('create_module', NI),
  enosys('get_kernel_syms', NI),
  enosys('query_module', NI),
  enosys('nfsservctl', NI),
  enosys('getpmsg', NI),
  enosys('putpmsg', NI),
  enosys('afs_syscall', NI),
  enosys('tuxcall', NI),
  enosys('security', NI),
  enosys('vserver', NI),
  enosys('set_thread_area', NI),
  enosys('get_thread_area', NI),
];
