// Kernel ABI: lseek(2) whence values (linux/fs.h), SEEK_DATA and SEEK_HOLE for walking a sparse file.
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
/** The next offset at or after the given one that holds data (ENXIO: none before the end). */
export const SEEK_DATA = 3;
/** The next hole at or after the given one (the end of the file counts as a hole). */
export const SEEK_HOLE = 4;
