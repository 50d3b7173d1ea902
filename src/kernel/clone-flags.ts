// Kernel ABI: clone(2) flags (include/uapi/linux/sched.h).
export const CLONE_VM = 0x100n;
export const CLONE_FS = 0x200n;
export const CLONE_FILES = 0x400n;
export const CLONE_SIGHAND = 0x800n;
export const CLONE_PARENT = 0x8000n;
export const CLONE_THREAD = 0x10000n;
export const CLONE_SYSVSEM = 0x40000n;
export const CLONE_PARENT_SETTID = 0x100000n;
export const CLONE_CHILD_CLEARTID = 0x200000n;
export const CLONE_CHILD_SETTID = 0x1000000n;

// Namespace flags (clone, unshare, setns).
export const CLONE_NEWTIME = 0x80n;
export const CLONE_NEWNS = 0x20000n;
export const CLONE_NEWCGROUP = 0x2000000n;
export const CLONE_NEWUTS = 0x4000000n;
export const CLONE_NEWIPC = 0x8000000n;
export const CLONE_NEWUSER = 0x10000000n;
export const CLONE_NEWPID = 0x20000000n;
export const CLONE_NEWNET = 0x40000000n;
