// Kernel ABI: resource limits (asm-generic/resource.h): the RLIMIT_* numbers, RLIM_INFINITY, and which
// limits shape a process's address space (where and how far its stack, heap and mappings may go).

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;

/** "No limit" (struct rlimit64's all-ones value). */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/**
 * The limits that decide the address space: RLIMIT_STACK (how far the stack grows, and at execve where
 * mmap_base goes, or the legacy bottom-up layout when unlimited), RLIMIT_AS (total mappings), RLIMIT_DATA
 * (brk and private writable mappings), RLIMIT_MEMLOCK (MAP_LOCKED, mlock). By the short name rewind uses
 * for them in meta.json.
 */
export const ADDRESS_SPACE_LIMITS = { stack: RLIMIT_STACK, as: RLIMIT_AS, data: RLIMIT_DATA, memlock: RLIMIT_MEMLOCK } as const;
export type AddressSpaceLimit = keyof typeof ADDRESS_SPACE_LIMITS;

const SHAPING = new Set<number>(Object.values(ADDRESS_SPACE_LIMITS));

/** Whether resource (a syscall argument) is one of ADDRESS_SPACE_LIMITS. */
export function shapesAddressSpace(resource: bigint): boolean {
  return resource < 64n && SHAPING.has(Number(resource));
}

export const RLIMIT_NAMES: Readonly<Record<number, string>> = {
  0: 'RLIMIT_CPU', 1: 'RLIMIT_FSIZE', 2: 'RLIMIT_DATA', 3: 'RLIMIT_STACK', 4: 'RLIMIT_CORE', 5: 'RLIMIT_RSS',
  6: 'RLIMIT_NPROC', 7: 'RLIMIT_NOFILE', 8: 'RLIMIT_MEMLOCK', 9: 'RLIMIT_AS',
};
