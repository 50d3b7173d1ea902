// Kernel ABI: fallocate(2) modes (linux/falloc.h).

export const FALLOC_FL_KEEP_SIZE = 0x01n;
export const FALLOC_FL_PUNCH_HOLE = 0x02n;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08n;
export const FALLOC_FL_ZERO_RANGE = 0x10n;
export const FALLOC_FL_INSERT_RANGE = 0x20n;
