// Kernel ABI layer: ptrace requests, options, events and wait flags (include/uapi/linux/ptrace.h, wait.h).
export const PTRACE_PEEKDATA = 2;
export const PTRACE_PEEKUSER = 3;
export const PTRACE_POKEUSER = 6;
export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_SINGLESTEP = 9;
export const PTRACE_GETFPREGS = 14;
export const PTRACE_DETACH = 17;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_SETSIGINFO = 0x4203;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_GETSIGMASK = 0x420a;
export const PTRACE_SETSIGMASK = 0x420b;
export const PTRACE_GET_SYSCALL_INFO = 0x420e;

export const PTRACE_O_TRACESYSGOOD = 0x1;
/** With TRACESYSGOOD, a syscall stop's signal is SIGTRAP with this bit set (ptrace(2)). */
export const PTRACE_SYSCALL_TRAP_BIT = 0x80;
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACEEXIT = 0x40;
export const PTRACE_O_TRACESECCOMP = 0x80;
export const PTRACE_O_EXITKILL = 0x100000;

export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_EXIT = 6;
export const PTRACE_EVENT_SECCOMP = 7;
export const PTRACE_EVENT_STOP = 128;

/** offsetof(struct user, u_debugreg) on x86-64: DR0..DR7 follow as 8 u64 words (PEEKUSER/POKEUSER). */
export const USER_DEBUGREG_OFFSET = 848;

export const WNOHANG = 1;
export const WUNTRACED = 2;
export const __WNOTHREAD = 0x20000000;
export const __WALL = 0x40000000;

/** arch_prctl(ARCH_SET_GS, base): the thread's GS base (rewind's syscall buffer uses it). */
export const ARCH_SET_GS = 0x1001;
/** arch_prctl(ARCH_SET_CPUID, 0) turns on CPUID faulting for the calling thread (reset by execve). */
export const ARCH_SET_CPUID = 0x1012;
