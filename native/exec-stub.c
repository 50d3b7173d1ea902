/*
 * rewind-exec-stub: the program replay execs in place of a recorded execve (src/syscalls/exec-image.ts).
 * The exec is a real one, so the kernel gives the process a fresh address space, resets its signal
 * handlers and closes its close-on-exec descriptors; then rewind, from the exec's stop and by injected
 * system calls, unmaps this stub and maps the recorded image. The stub's own code never runs under
 * rewind. Run by hand, it exits with status 127.
 *
 * Static, no libc, linked at 0x100000000000 (build-native.mjs), an address no executable, loader,
 * stack or vDSO is given by the kernel at exec.
 */
void _start(void) __attribute__((noreturn, naked));
void _start(void) {
  __asm__ volatile("mov $60, %eax\n\tmov $127, %edi\n\tsyscall\n\thlt");
}
