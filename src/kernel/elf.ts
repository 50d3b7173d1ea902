// Kernel ABI: the ELF64 numbers rewind reads (program headers, the dynamic section, auxv keys).

/** Program header types. */
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_PHDR = 6;
/** The size of an ELF64 program header; p_offset at 8, p_vaddr at 16, p_filesz at 32. */
export const PHDR_SIZE = 56;

/** Dynamic section tags (d_tag), each entry 16 bytes: tag, value. */
export const DT_NULL = 0n;
export const DT_STRTAB = 5n;
export const DT_SONAME = 14n;
export const DT_DEBUG = 21n;

/** auxv keys. */
export const AT_PHDR = 3n;
export const AT_PHNUM = 5n;
