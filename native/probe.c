/*
 * rewind-probe: proves, in throw-away children, that each hardware trap rewind relies on really
 * happens on this machine. A VM may accept a setting (PR_SET_TSC, a debug register) and then never
 * deliver the trap, so no return code is trusted: each probe makes the trap happen and watches for it.
 *
 *   rewind-probe            one JSON object per line: {"name":"…","works":true|false,"detail":"…"}
 *
 * The decisions (which path rewind takes) are made by the tracer (src/tracee/capabilities.ts).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <sched.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static void report_cost(const char *name, int works, const char *detail, double cost_us) {
  printf("{\"name\":\"%s\",\"works\":%s,\"detail\":\"%s\"", name, works ? "true" : "false", detail);
  if (cost_us >= 0) printf(",\"costUs\":%.1f", cost_us);
  printf("}\n");
  fflush(stdout);
}

static void report(const char *name, int works, const char *detail) { report_cost(name, works, detail, -1); }

/* Runs fn in a child (killed after 2 s); returns its exit status, or -1 if it did not exit normally. */
static int in_child(int (*fn)(void)) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    alarm(2);
    _exit(fn());
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- instruction traps: SIGSEGV with SI_KERNEL at the instruction, emulated by skipping it ---- */

static volatile int trapped;
static volatile int skip_len;

static void on_segv(int sig, siginfo_t *si, void *uc_) {
  (void)sig;
  ucontext_t *uc = uc_;
  if (si->si_code == SI_KERNEL) trapped++;
  uc->uc_mcontext.gregs[REG_RIP] += skip_len;
}

static void catch_segv(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
}

/* ---- what a trap costs when it is not used: the kernel turns CPUID faulting (an MSR write) and the
 * TSC trap (a CR4 bit) on and off whenever the CPU goes from a task without it to one with it and
 * back, as from the tracer to a tracee and back at every ptrace stop. A hypervisor may trap that
 * write: on one VM, CPUID faulting added 17 us to a 4 us stop. ---- */

enum switched { NONE, CPUID_FAULT, TSC_TRAP };

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Microseconds per round trip through a pipe to a child on the same CPU (the best of 5 batches),
 * the child with the setting on; -1 on failure. */
static double round_trip_us(enum switched setting) {
  int down[2], up[2];
  if (pipe(down) != 0) return -1;
  if (pipe(up) != 0) {
    close(down[0]);
    close(down[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    alarm(2);
    close(down[1]);
    close(up[0]);
    if (setting == CPUID_FAULT && syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) _exit(1);
    if (setting == TSC_TRAP && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) _exit(1);
    char c;
    while (read(down[0], &c, 1) == 1 && write(up[1], &c, 1) == 1) {}
    _exit(0);
  }
  close(down[0]);
  close(up[1]);
  double best = -1;
  char c = 0;
  for (int batch = 0; pid > 0 && batch < 5; batch++) {
    double t0 = now_us();
    int i = 0;
    while (i < 100 && write(down[1], &c, 1) == 1 && read(up[0], &c, 1) == 1) i++;
    if (i < 100) {
      best = -1;
      break;
    }
    double per = (now_us() - t0) / 100;
    if (best < 0 || per < best) best = per;
  }
  close(down[1]);
  close(up[0]);
  if (pid > 0) waitpid(pid, NULL, 0);
  return best;
}

/* What a round trip costs more with the setting on in the child (best of alternating runs, so a
 * busy moment counts for neither), or -1. The probe pins itself to one CPU for it, as the tracer does. */
static double switch_cost_us(enum switched setting) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(sched_getcpu(), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
  double plain = -1, fault = -1;
  for (int k = 0; k < 2; k++) {
    double p = round_trip_us(NONE), f = round_trip_us(setting);
    if (p < 0 || f < 0) return -1;
    if (plain < 0 || p < plain) plain = p;
    if (fault < 0 || f < fault) fault = f;
  }
  return fault > plain ? fault - plain : 0;
}

/* Reports a trap that works, with what it adds to a switch where that could be measured. */
static void report_works(const char *name, const char *how, enum switched setting) {
  double cost = switch_cost_us(setting);
  char detail[192];
  if (cost < 0) snprintf(detail, sizeof detail, "%s", how);
  else snprintf(detail, sizeof detail, "%s; it adds %.1f \xc2\xb5s to a switch to a task with it and back", how, cost);
  report_cost(name, 1, detail, cost);
}

/* Exit status: 0 both trapped, 1 rdtsc did not, 2 rdtscp did not, 3 neither, 10 prctl refused. */
static int tsc_child(void) {
  if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) return 10;
  catch_segv();
  int result = 0;
  uint32_t lo, hi, aux;
  trapped = 0; skip_len = 2;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  if (trapped != 1) result |= 1;
  trapped = 0; skip_len = 3;
  __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
  if (trapped != 1) result |= 2;
  return result;
}

static void probe_tsc(void) {
  int r = in_child(tsc_child);
  if (r == 0) report_works("rdtsc-trap", "rdtsc and rdtscp fault under PR_SET_TSC(PR_TSC_SIGSEGV)", TSC_TRAP);
  else if (r == 10) report("rdtsc-trap", 0, "PR_SET_TSC is refused");
  else if (r == 1) report("rdtsc-trap", 0, "PR_SET_TSC is accepted but rdtsc executes without faulting");
  else if (r == 2) report("rdtsc-trap", 0, "PR_SET_TSC is accepted but rdtscp executes without faulting");
  else if (r == 3) report("rdtsc-trap", 0, "PR_SET_TSC is accepted but rdtsc and rdtscp execute without faulting");
  else report("rdtsc-trap", 0, "the probe did not finish");
}

/* Exit status: 0 trapped, 1 executed silently, 10 ARCH_SET_CPUID refused. */
static int cpuid_child(void) {
  if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) return 10;
  catch_segv();
  uint32_t a = 0, b, c = 0, d;
  trapped = 0; skip_len = 2;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return trapped == 1 ? 0 : 1;
}

static void probe_cpuid(void) {
  int r = in_child(cpuid_child);
  if (r == 0) report_works("cpuid-fault", "cpuid faults under ARCH_SET_CPUID", CPUID_FAULT);
  else if (r == 10) report("cpuid-fault", 0, "ARCH_SET_CPUID is refused (no CPUID faulting)");
  else if (r == 1) report("cpuid-fault", 0, "ARCH_SET_CPUID is accepted but cpuid executes without faulting");
  else report("cpuid-fault", 0, "the probe did not finish");
}

/* ---- ptrace probes: a traced child that stops, then does what the tracer watches for ---- */

static volatile uint64_t watched;

__attribute__((noinline)) static void target_fn(void) {
  __asm__ volatile("nop");
}

static pid_t traced_child(void (*body)(void)) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    alarm(2);
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(90);
    raise(SIGSTOP);
    body();
    _exit(0);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return pid;
}

static void finish(pid_t pid) {
  int status;
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {}
}

static void dr_body(void) {
  watched = 42;
  target_fn();
}

static long dr_offset(int i) {
  return (long)offsetof(struct user, u_debugreg) + i * (long)sizeof(long);
}

static void probe_debugregs(void) {
  pid_t pid = traced_child(dr_body);
  if (pid < 0) { report("debug-registers", 0, "cannot start a traced child"); return; }
  /* DR0: write watchpoint, 8 bytes, on watched. DR1: execute breakpoint at target_fn. */
  unsigned long dr7 = (1ul << 0) | (1ul << 16) | (3ul << 18) | (1ul << 2);
  if (ptrace(PTRACE_POKEUSER, pid, dr_offset(0), (void *)&watched) != 0 ||
      ptrace(PTRACE_POKEUSER, pid, dr_offset(1), (void *)target_fn) != 0 ||
      ptrace(PTRACE_POKEUSER, pid, dr_offset(7), (void *)dr7) != 0) {
    finish(pid);
    report("debug-registers", 0, "ptrace refuses to set the debug registers");
    return;
  }
  int write_hit = 0, exec_hit = 0, status;
  for (int i = 0; i < 4; i++) {
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) break;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) break;
    if (WSTOPSIG(status) != SIGTRAP) break;
    unsigned long dr6 = (unsigned long)ptrace(PTRACE_PEEKUSER, pid, dr_offset(6), 0);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    /* The child's copy of watched, not this process's (which nothing writes). */
    if (dr6 & 1) write_hit = ptrace(PTRACE_PEEKDATA, pid, (void *)&watched, 0) == 42;
    if ((dr6 & 2) && regs.rip == (unsigned long)target_fn) {
      exec_hit = 1;
      regs.eflags |= 1ul << 16; /* RF: run the instruction this time */
      ptrace(PTRACE_SETREGS, pid, 0, &regs);
    }
    ptrace(PTRACE_POKEUSER, pid, dr_offset(6), 0);
  }
  finish(pid);
  if (write_hit && exec_hit) report("debug-registers", 1, "a write watchpoint and an execute breakpoint both trapped");
  else if (!write_hit && !exec_hit) report("debug-registers", 0, "accepted by ptrace but neither a write watchpoint nor an execute breakpoint traps");
  else if (!write_hit) report("debug-registers", 0, "an execute breakpoint traps but a write watchpoint does not");
  else report("debug-registers", 0, "a write watchpoint traps but an execute breakpoint does not");
}

static void step_body(void) {
  for (volatile int i = 0; i < 100; i++) {}
}

static void probe_singlestep(void) {
  pid_t pid = traced_child(step_body);
  if (pid < 0) { report("single-step", 0, "cannot start a traced child"); return; }
  int ok = 1, status;
  unsigned long last = 0;
  for (int i = 0; i < 20 && ok; i++) {
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) { ok = 0; break; }
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) { ok = 0; break; }
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    if (regs.rip == last) ok = 0;
    last = regs.rip;
  }
  finish(pid);
  report("single-step", ok, ok ? "PTRACE_SINGLESTEP stops after each instruction" : "PTRACE_SINGLESTEP does not stop after each instruction");
}

/* ---- software perf events: a context-switch event that signals the thread when it blocks ---- */

static volatile int desched;
static void on_desched(int sig) { (void)sig; desched++; }

/* Exit status: 0 signalled, 1 opened but never signalled, 10 + errno%100 perf_event_open refused. */
static int perf_child(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
  attr.sample_period = 1;
  attr.wakeup_events = 1;
  int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return 10 + errno % 100;
  signal(SIGSTKFLT, on_desched);
  struct f_owner_ex owner = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) };
  if (fcntl(fd, F_SETOWN_EX, &owner) != 0 || fcntl(fd, F_SETSIG, SIGSTKFLT) != 0 ||
      fcntl(fd, F_SETFL, O_ASYNC) != 0) return 1;
  usleep(2000);
  return desched > 0 ? 0 : 1;
}

static void probe_perf(void) {
  int r = in_child(perf_child);
  char detail[128];
  if (r == 0) report("perf-context-switches", 1, "a software context-switch event signals a thread that blocks");
  else if (r == 1) report("perf-context-switches", 0, "perf_event_open works but the context-switch signal never arrives");
  else if (r >= 10) {
    snprintf(detail, sizeof detail, "perf_event_open is refused (errno %d)", r - 10);
    report("perf-context-switches", 0, detail);
  } else report("perf-context-switches", 0, "the probe did not finish");
}

int main(void) {
  probe_tsc();
  probe_cpuid();
  probe_debugregs();
  probe_singlestep();
  probe_perf();
  return 0;
}
