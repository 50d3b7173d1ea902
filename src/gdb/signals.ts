// gdb layer: Linux x86-64 signal numbers <-> gdb's target-independent signal numbers, which the
// remote protocol carries (gdb's include/gdb/signals.def; numbers are facts of the protocol).
// Imports nothing.

/** Index = Linux signal number 0..31, value = gdb signal number. */
const LINUX_TO_GDB: readonly number[] = [
  0, // 0: no signal
  1, // SIGHUP
  2, // SIGINT
  3, // SIGQUIT
  4, // SIGILL
  5, // SIGTRAP
  6, // SIGABRT
  10, // SIGBUS
  8, // SIGFPE
  9, // SIGKILL
  30, // SIGUSR1
  11, // SIGSEGV
  31, // SIGUSR2
  13, // SIGPIPE
  14, // SIGALRM
  15, // SIGTERM
  143, // SIGSTKFLT: gdb has none (GDB_SIGNAL_UNKNOWN)
  20, // SIGCHLD
  19, // SIGCONT
  17, // SIGSTOP
  18, // SIGTSTP
  21, // SIGTTIN
  22, // SIGTTOU
  16, // SIGURG
  24, // SIGXCPU
  25, // SIGXFSZ
  26, // SIGVTALRM
  27, // SIGPROF
  28, // SIGWINCH
  23, // SIGIO
  32, // SIGPWR
  12, // SIGSYS
];

const GDB_UNKNOWN = 143;
const GDB_REALTIME_32 = 77;
/** gdb numbers 45..75 are SIG33..SIG63. */
const GDB_REALTIME_33 = 45;

export function linuxToGdbSignal(signal: number): number {
  if (Number.isInteger(signal) && signal >= 0 && signal < LINUX_TO_GDB.length) {
    return LINUX_TO_GDB[signal]!;
  }
  if (signal === 32) return GDB_REALTIME_32;
  if (signal >= 33 && signal <= 63) return GDB_REALTIME_33 + (signal - 33);
  return GDB_UNKNOWN;
}

/** The Linux number for a gdb signal number, or null if Linux has no such signal. */
export function gdbToLinuxSignal(gdbSignal: number): number | null {
  if (gdbSignal === GDB_REALTIME_32) return 32;
  if (gdbSignal >= GDB_REALTIME_33 && gdbSignal <= GDB_REALTIME_33 + 30) {
    return 33 + (gdbSignal - GDB_REALTIME_33);
  }
  if (gdbSignal === GDB_UNKNOWN) return null;
  const linux = LINUX_TO_GDB.indexOf(gdbSignal);
  return linux < 0 ? null : linux;
}
