// Kernel ABI: a 64-bit dev_t (st_dev) split into major and minor numbers, as glibc's gnu_dev_major and
// gnu_dev_minor (sysdeps/unix/sysv/linux/sys/sysmacros.h) and the kernel's new_decode_dev do.

export function devMajor(dev: bigint): bigint {
  return ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
}

export function devMinor(dev: bigint): bigint {
  return (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
}
