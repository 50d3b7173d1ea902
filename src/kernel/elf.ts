// Kernel ABI: the ELF64 numbers rewind reads (program headers, the dynamic section, auxv keys).

/** Program header types. */
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_PHDR = 6;
/** The segment holding .eh_frame_hdr (the unwind table's index). */
export const PT_GNU_EH_FRAME = 0x6474e550;
/** Program header flags: executable. */
export const PF_X = 1;
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

/** Section headers: size of one, and the types of the symbol tables. */
export const SHDR_SIZE = 64;
export const SHT_SYMTAB = 2;
export const SHT_DYNSYM = 11;
/** Symbols: size of one (Elf64_Sym), and the function type in st_info's low nibble. */
export const SYM_SIZE = 24;
export const STT_FUNC = 2;

/** The ELF64 file header (Elf64_Ehdr): its size and the offsets of the fields rewind reads. */
export const EHDR_SIZE = 64;
export const E_PHOFF = 0x20;
export const E_SHOFF = 0x28;
export const E_PHENTSIZE = 0x36;
export const E_PHNUM = 0x38;
export const E_SHENTSIZE = 0x3a;
export const E_SHNUM = 0x3c;
export const E_SHSTRNDX = 0x3e;

/** Whether `header` starts an ELF64 little-endian file (the only kind x86-64 runs): magic, ELFCLASS64, ELFDATA2LSB. */
export function isElf64Le(header: Uint8Array): boolean {
  return header.length >= EHDR_SIZE && header[0] === 0x7f && header[1] === 0x45 && header[2] === 0x4c && header[3] === 0x46
    && header[4] === 2 && header[5] === 1;
}
