// Kernel ABI: the status word waitpid returns (the kernel's encoding, decoded as glibc's
// bits/waitstatus.h does): low 7 bits 0 = exited (code in bits 8-15), 0x7f = stopped (signal in bits
// 8-15, a ptrace event in bits 16-31), else killed by that signal (bit 7: core dumped).

/** The low 7 bits of a stopped task's status. */
export const W_STOPPED = 0x7f;
/** Bit 7 of a killed task's status: it dumped core. */
export const WCOREFLAG = 0x80;

export function wTermSig(status: number): number {
  return status & 0x7f;
}

/** The exit code of an exited task, or the signal of a stopped one. */
export function wHighByte(status: number): number {
  return (status >> 8) & 0xff;
}

/** The ptrace event (PTRACE_EVENT_*) of a stopped task, 0 for none. */
export function wPtraceEvent(status: number): number {
  return (status >> 16) & 0xffff;
}
