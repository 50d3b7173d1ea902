// Kernel ABI: mmap/mprotect numbers (linux/mman.h, asm-generic/mman-common.h).

export const PROT_READ = 0x1n;
export const PROT_WRITE = 0x2n;
export const PROT_EXEC = 0x4n;

export const MAP_SHARED = 0x1n;
export const MAP_PRIVATE = 0x2n;
/** MAP_SHARED that fails on unknown flags (Linux 4.15). */
export const MAP_SHARED_VALIDATE = 0x3n;
/** The bits of mmap's flags that say shared or private. */
export const MAP_TYPE_MASK = 0x3n;

/** Whether mmap flags ask for a shared mapping (MAP_SHARED or MAP_SHARED_VALIDATE). */
export function isSharedMapping(flags: bigint): boolean {
  return (flags & MAP_TYPE_MASK) !== MAP_PRIVATE;
}
export const MAP_FIXED = 0x10n;
export const MAP_ANONYMOUS = 0x20n;
/** Like MAP_FIXED, but fails with EEXIST instead of replacing a mapping already there. */
export const MAP_FIXED_NOREPLACE = 0x100000n;

export const PAGE_SIZE = 4096n;

/** len rounded up to whole pages, as the kernel does for mmap, mprotect and munmap. */
export function pageAlign(len: bigint): bigint {
  return (len + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);
}

export const PROT_NONE = 0n;

/** The prot bits of a /proc/PID/maps permission field ("rw-p", "r-xp"…). */
export function protOfPerms(perms: string): bigint {
  return (perms[0] === 'r' ? PROT_READ : 0n) | (perms[1] === 'w' ? PROT_WRITE : 0n) | (perms[2] === 'x' ? PROT_EXEC : 0n);
}

/** mremap flags: the mapping may move, to exactly new_address. */
export const MREMAP_MAYMOVE = 0x1n;
export const MREMAP_FIXED = 0x2n;

/** shmat flags (include/uapi/linux/shm.h): attach read-only; attach executable. */
export const SHM_RDONLY = 0o10000n;
export const SHM_EXEC = 0o100000n;
