// Signal numbers (include/uapi/asm-generic/signal.h as x86-64 uses it, arch/x86/include/uapi/asm/signal.h)
// and the layout of siginfo_t (include/uapi/asm-generic/siginfo.h), 128 bytes on x86-64.

export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
} as const;
export type SignalName = keyof typeof SIG;

/** Aliases. */
export const SIGIOT = SIG.SIGABRT;
export const SIGPOLL = SIG.SIGIO;
export const SIGCLD = SIG.SIGCHLD;

/** The kernel's first real-time signal; glibc keeps 32 and 33 for itself (thread cancel, setxid). */
export const KERNEL_SIGRTMIN = 32;
/** SIGRTMIN as glibc programs see it. */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
/** Number of signals (_NSIG); the kernel's sigset_t is 64 bits = 8 bytes. */
export const NSIG = 64;
export const KERNEL_SIGSET_SIZE = 8;

const NAMES = new Map<number, string>(Object.entries(SIG).map(([k, v]) => [v, k]));

/** "SIGSEGV", "SIGRTMIN+3", "SIGRTMAX", "SIG32"; `SIG<n>` when out of range. */
export function signalName(n: number): string {
  const s = NAMES.get(n);
  if (s) return s;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  if (n > SIGRTMIN && n < SIGRTMAX) return n - SIGRTMIN <= SIGRTMAX - n ? `SIGRTMIN+${n - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - n}`;
  return `SIG${n}`;
}

/** Number for a signal name ("SIGSEGV", "SEGV", "SIGRTMIN+2", "SIG32"), or undefined. */
export function signalNumber(name: string): number | undefined {
  const s = name.startsWith('SIG') ? name : `SIG${name}`;
  if (s in SIG) return SIG[s as SignalName];
  if (s === 'SIGIOT') return SIGIOT;
  if (s === 'SIGPOLL') return SIGPOLL;
  if (s === 'SIGCLD') return SIGCLD;
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(s);
  if (m) {
    const base = m[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const v = m[2] === undefined ? base : m[2] === '+' ? base + Number(m[3]) : base - Number(m[3]);
    return v >= SIGRTMIN && v <= SIGRTMAX ? v : undefined;
  }
  const n = /^SIG(\d+)$/.exec(s);
  if (n) {
    const v = Number(n[1]);
    return v >= 1 && v <= NSIG ? v : undefined;
  }
  return undefined;
}

/** Byte offsets in siginfo_t (x86-64). The union starts at 16; its members overlap. */
export const SIGINFO = {
  size: 128,
  si_signo: 0,
  si_errno: 4,
  si_code: 8,
  /** kill, sigqueue, SIGCHLD: sender pid / uid. */
  si_pid: 16,
  si_uid: 20,
  /** SIGCHLD: exit status or signal, then user and system time (clock ticks). */
  si_status: 24,
  si_utime: 32,
  si_stime: 40,
  /** sigqueue / POSIX timer: the sigval (int or pointer). */
  si_value: 24,
  /** POSIX timers. */
  si_timerid: 16,
  si_overrun: 20,
  /** SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP: fault address. */
  si_addr: 16,
  /** SIGPOLL. */
  si_band: 16,
  si_fd: 24,
  /** SIGSYS (seccomp). */
  si_call_addr: 16,
  si_syscall: 24,
  si_arch: 28,
} as const;

/** si_code values (include/uapi/asm-generic/siginfo.h). */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
/** si_code of SIGILL for an illegal opcode (ud2). */
export const ILL_ILLOPN = 2;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_MESGQ = -3;
export const SI_ASYNCIO = -4;
export const SI_SIGIO = -5;
export const SI_TKILL = -6;

/** SIGSEGV si_code. */
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
/** SIGTRAP si_code. */
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
export const TRAP_BRANCH = 3;
export const TRAP_HWBKPT = 4;
/** SIGCHLD si_code. */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;
/** SIGSYS si_code for a seccomp SECCOMP_RET_TRAP. */
export const SYS_SECCOMP = 1;

/** sigprocmask `how`. */
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;
/** Special handler values in the kernel sigaction. */
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

/** si_signo of a siginfo_t. */
export function siginfoSigno(info: Uint8Array): number {
  return new DataView(info.buffer, info.byteOffset, info.byteLength).getInt32(SIGINFO.si_signo, true);
}

/** si_pid of a siginfo_t (meaningful for sent signals: SI_USER, SI_TKILL, SI_QUEUE). */
export function siginfoPid(info: Uint8Array): number {
  return new DataView(info.buffer, info.byteOffset, info.byteLength).getInt32(SIGINFO.si_pid, true);
}

/** si_code of a siginfo_t. */
export function siginfoCode(info: Uint8Array): number {
  return new DataView(info.buffer, info.byteOffset, info.byteLength).getInt32(SIGINFO.si_code, true);
}
