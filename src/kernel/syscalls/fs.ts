// Paths, metadata, directories, links, permissions and extended attributes (stat(2), getdents64(2),
// readlink(2), chmod(2), getxattr(2)…). Replay does not touch the file system: all are emulated.

import { Struct } from '../structs.js';
import { emulate, unsupported } from './define.js';
import { fixed, resultBytes, sizeFromArg } from './outputs.js';
import { getxattratOut, nameToHandleOut } from './outputs-cmd.js';
import type { SyscallDef } from './types.js';

const ST = Struct.stat.size;

export const FS: readonly SyscallDef[] = [
  emulate('stat', [fixed(1, ST)]),
  emulate('fstat', [fixed(1, ST)]),
  emulate('lstat', [fixed(1, ST)]),
  emulate('newfstatat', [fixed(2, ST)]),
  emulate('statx', [fixed(4, Struct.statx.size)]),
  emulate('statfs', [fixed(1, Struct.statfs.size)]),
  emulate('fstatfs', [fixed(1, Struct.statfs.size)]),
  emulate('ustat', [fixed(1, Struct.ustat.size)]),
  emulate('access'),
  emulate('faccessat'),
  emulate('faccessat2'),
  emulate('getdents', [resultBytes(1)]), // struct linux_dirent records
  emulate('getdents64', [resultBytes(1)]),
  emulate('getcwd', [resultBytes(0)]), // result = length including the NUL
  emulate('chdir', [], { note: 'the replayed task keeps the directory it started in' }),
  emulate('fchdir', [], { note: 'the replayed task keeps the directory it started in' }),
  emulate('rename'),
  emulate('renameat'),
  emulate('renameat2'),
  emulate('mkdir'),
  emulate('mkdirat'),
  emulate('rmdir'),
  emulate('link'),
  emulate('linkat'),
  emulate('unlink'),
  emulate('unlinkat'),
  emulate('symlink'),
  emulate('symlinkat'),
  emulate('readlink', [resultBytes(1, 2)]),
  emulate('readlinkat', [resultBytes(2, 3)]),
  emulate('chmod'),
  emulate('fchmod'),
  emulate('fchmodat'),
  emulate('fchmodat2'),
  emulate('chown'),
  emulate('fchown'),
  emulate('lchown'),
  emulate('fchownat'),
  emulate('umask'),
  emulate('utime'),
  emulate('utimes'),
  emulate('utimensat'),
  emulate('futimesat'),
  emulate('mknod'),
  emulate('mknodat'),
  emulate('setxattr'),
  emulate('lsetxattr'),
  emulate('fsetxattr'),
  emulate('setxattrat'),
  emulate('getxattr', [resultBytes(2, 3)]), // size 0 only asks for the length
  emulate('lgetxattr', [resultBytes(2, 3)]),
  emulate('fgetxattr', [resultBytes(2, 3)]),
  emulate('getxattrat', [getxattratOut()]),
  emulate('listxattr', [resultBytes(1, 2)]),
  emulate('llistxattr', [resultBytes(1, 2)]),
  emulate('flistxattr', [resultBytes(1, 2)]),
  emulate('listxattrat', [resultBytes(3, 4)]),
  emulate('removexattr'),
  emulate('lremovexattr'),
  emulate('fremovexattr'),
  emulate('removexattrat'),
  emulate('name_to_handle_at', [nameToHandleOut()]),
  emulate('open_by_handle_at'),
  emulate('file_getattr', [sizeFromArg(2, 3)]), // Linux 6.17
  emulate('file_setattr'),
  unsupported('chroot', 'changes how later execve and file mappings resolve paths'),
  unsupported('sysfs', 'obsolete filesystem-type query'),
];
