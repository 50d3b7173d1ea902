/*
 * rewind.node: thin, allocation-free wrappers over the system calls the tracer needs.
 * Every function returns a number (or BigInt); failures are -errno, never exceptions, except for
 * argument type errors. No policy lives here: the TypeScript tracer decides everything.
 * All ptrace requests for a tracee must come from the thread that seized it (the caller's thread).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define MAX_ARGS 8
#define NT_PRSTATUS_ 1
#define NT_X86_XSTATE_ 0x202

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value big(napi_env env, uint64_t v) {
  napi_value r;
  napi_create_bigint_uint64(env, v, &r);
  return r;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  napi_value tmp[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, tmp, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "rewind.node: too few arguments");
    return 0;
  }
  for (size_t i = 0; i < want; i++) argv[i] = tmp[i];
  return 1;
}

static int64_t get_i64(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    int64_t r;
    bool lossless;
    napi_get_value_bigint_int64(env, v, &r, &lossless);
    return r;
  }
  double d = 0;
  napi_get_value_double(env, v, &d);
  return (int64_t)d;
}

static uint64_t get_u64(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    uint64_t r;
    bool lossless;
    napi_get_value_bigint_uint64(env, v, &r, &lossless);
    return r;
  }
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d < 0 ? (uint64_t)(int64_t)d : (uint64_t)d;
}

/* Pointer and length of a TypedArray's bytes; 0 when v is not one. */
static int typed_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    napi_throw_type_error(env, NULL, "rewind.node: expected a TypedArray");
    return 0;
  }
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  napi_get_typedarray_info(env, v, &type, &count, data, &ab, &offset);
  size_t elem = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *len = count * elem;
  return 1;
}

/* Frees a NULL-terminated array of strings built by string_array(). */
static void free_strings(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

static char **string_array(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value s;
    size_t len;
    napi_get_element(env, arr, i, &s);
    if (napi_get_value_string_utf8(env, s, NULL, 0, &len) != napi_ok) { free_strings(out); return NULL; }
    out[i] = malloc(len + 1);
    if (!out[i]) { free_strings(out); return NULL; }
    napi_get_value_string_utf8(env, s, out[i], len + 1, &len);
  }
  return out;
}

/*
 * spawn(path, argv[], envp[], flags) -> pid | -errno. Keeps fds 0-2 (Node marks them close-on-exec).
 * The child starts with every signal blocked (the launcher unblocks them once it is traced, so a stray
 * signal cannot kill it before). flags bit 0: the child leads a new process group.
 */
static napi_value Spawn(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!get_args(env, info, 4, a)) return NULL;
  int64_t flags = get_i64(env, a[3]);
  char path[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, a[0], path, sizeof path, &len) != napi_ok) return num(env, -EINVAL);
  char **argv = string_array(env, a[1]);
  char **envp = string_array(env, a[2]);
  if (!argv || !envp) { free_strings(argv); free_strings(envp); return num(env, -ENOMEM); }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < 3; fd++) posix_spawn_file_actions_adddup2(&fa, fd, fd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &all);
  short attr_flags = POSIX_SPAWN_SETSIGMASK;
  if (flags & 1) {
    attr_flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, attr_flags);
  pid_t pid;
  int err = posix_spawn(&pid, path, &fa, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  free_strings(argv);
  free_strings(envp);
  return num(env, err ? -err : pid);
}

/* waitpid(pid, flags, Int32Array out) -> pid | 0 | -errno; out[0] = status. */
static napi_value Waitpid(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  int32_t *out;
  size_t len;
  if (!typed_bytes(env, a[2], (void **)&out, &len) || len < 4) return NULL;
  int status = 0;
  pid_t r;
  do r = waitpid((pid_t)get_i64(env, a[0]), &status, (int)get_i64(env, a[1]));
  while (r < 0 && errno == EINTR);
  out[0] = status;
  return num(env, r < 0 ? -errno : r);
}

static void on_alarm(int sig) { (void)sig; }

/*
 * waitpidTimeout(pid, flags, Int32Array out, ms) -> pid | 0 on timeout | -errno. ms may be fractional.
 * A child already waiting is taken at once (WNOHANG); else a per-thread timer (SIGALRM to the calling thread, handler without SA_RESTART) interrupts waitpid;
 * it repeats until disarmed, so an expiry just before waitpid started is not lost.
 */
static napi_value WaitpidTimeout(napi_env env, napi_callback_info info) {
  static __thread timer_t timer;
  static __thread int have_timer;
  napi_value a[4];
  if (!get_args(env, info, 4, a)) return NULL;
  int32_t *out;
  size_t len;
  if (!typed_bytes(env, a[2], (void **)&out, &len) || len < 4) return NULL;
  if (!have_timer) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGALRM;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) return num(env, -errno);
    have_timer = 1;
  }
  /* Already there? A tracee resumed on the tracer's CPU usually runs to its next stop before the
   * tracer gets back here: one waitpid then, not the two timer_settime around a blocking one. */
  int status = 0;
  pid_t pid = (pid_t)get_i64(env, a[0]);
  int flags = (int)get_i64(env, a[1]);
  pid_t now;
  do now = waitpid(pid, &status, flags | WNOHANG);
  while (now < 0 && errno == EINTR);
  if (now != 0 || (flags & WNOHANG)) {
    out[0] = status;
    return num(env, now < 0 ? -errno : now);
  }
  double ms = 0;
  napi_get_value_double(env, a[3], &ms);
  int64_t us = (int64_t)(ms * 1000.0);
  struct itimerspec arm = { { 0, 0 }, { (time_t)(us / 1000000), (long)(us % 1000000) * 1000L } };
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  if (us <= 0) arm.it_value.tv_nsec = 1;
  /* The timer may fire before waitpid starts (the thread preempted in between, on a busy machine): it
   * repeats, so the next expiry interrupts the wait. */
  int64_t every = us > 200 ? us : 200; /* never a storm of signals that would starve the thread */
  arm.it_interval = (struct timespec){ (time_t)(every / 1000000), (long)(every % 1000000) * 1000L };
  timer_settime(timer, 0, &arm, NULL);
  pid_t r = waitpid(pid, &status, flags);
  int err = errno;
  timer_settime(timer, 0, &off, NULL);
  out[0] = status;
  if (r < 0) return num(env, err == EINTR ? 0 : -err);
  return num(env, r);
}

/* ptrace(request, pid, addr, data) -> result | -errno (not for PEEK requests). */
static napi_value Ptrace(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!get_args(env, info, 4, a)) return NULL;
  long r = ptrace((enum __ptrace_request)get_i64(env, a[0]), (pid_t)get_i64(env, a[1]),
                  (void *)(uintptr_t)get_u64(env, a[2]), (void *)(uintptr_t)get_u64(env, a[3]));
  return num(env, r < 0 ? -errno : (double)r);
}

/* A regset get/set through PTRACE_GETREGSET/SETREGSET into a caller's TypedArray. Returns bytes or -errno. */
static napi_value regset(napi_env env, napi_callback_info info, int set, int which) {
  napi_value a[2];
  if (!get_args(env, info, 2, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[1], &buf, &len)) return NULL;
  struct iovec iov = { buf, len };
  long r = ptrace(set ? PTRACE_SETREGSET : PTRACE_GETREGSET, (pid_t)get_i64(env, a[0]), (void *)(uintptr_t)which, &iov);
  return num(env, r < 0 ? -errno : (double)iov.iov_len);
}

static napi_value GetRegs(napi_env env, napi_callback_info info) { return regset(env, info, 0, NT_PRSTATUS_); }
static napi_value SetRegs(napi_env env, napi_callback_info info) { return regset(env, info, 1, NT_PRSTATUS_); }
static napi_value GetXState(napi_env env, napi_callback_info info) { return regset(env, info, 0, NT_X86_XSTATE_); }
static napi_value SetXState(napi_env env, napi_callback_info info) { return regset(env, info, 1, NT_X86_XSTATE_); }

/* Requests whose data argument points at a caller buffer: GETSIGINFO, SETSIGINFO, GET_SYSCALL_INFO… */
static napi_value PtraceBuf(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!get_args(env, info, 4, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[3], &buf, &len)) return NULL;
  uint64_t addr = get_u64(env, a[2]);
  long r = ptrace((enum __ptrace_request)get_i64(env, a[0]), (pid_t)get_i64(env, a[1]), (void *)(uintptr_t)addr, buf);
  return num(env, r < 0 ? -errno : (double)r);
}

/*
 * peekUser(pid, offset) -> BigInt (the word at offset in the tracee's struct user: debug registers…)
 * | Number -errno. PEEKUSER returns the data itself, so only errno tells a failure from a -1 word.
 */
static napi_value PeekUser(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!get_args(env, info, 2, a)) return NULL;
  errno = 0;
  long r = ptrace(PTRACE_PEEKUSER, (pid_t)get_i64(env, a[0]), (void *)(uintptr_t)get_u64(env, a[1]), NULL);
  if (r == -1 && errno != 0) return num(env, -errno);
  return big(env, (uint64_t)r);
}

/* getEventMsg(pid) -> BigInt (the message) ; on failure BigInt of -errno as two's complement is avoided: returns Number -errno. */
static napi_value GetEventMsg(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, (pid_t)get_i64(env, a[0]), NULL, &msg) < 0) return num(env, -errno);
  return big(env, msg);
}

/* Memory access through /proc/PID/mem: works for read-only mappings (FOLL_FORCE). */
static long proc_mem(pid_t pid, uint64_t addr, void *buf, size_t len, int write) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  int fd = open(path, write ? O_WRONLY | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write ? pwrite(fd, (char *)buf + done, len - done, (off_t)(addr + done))
                      : pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  int e = errno;
  close(fd);
  return done > 0 || len == 0 ? (long)done : -e;
}

/* readMem(pid, addr, Uint8Array) -> bytes read | -errno. Stops at the first unreadable byte. */
static napi_value ReadMem(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[2], &buf, &len)) return NULL;
  pid_t pid = (pid_t)get_i64(env, a[0]);
  uint64_t addr = get_u64(env, a[1]);
  struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return num(env, (double)n);
  /* Partial or failed: retry through /proc/PID/mem, which reads up to the first unmapped page. */
  long m = proc_mem(pid, addr, buf, len, 0);
  if (m < 0 && n > 0) return num(env, (double)n);
  return num(env, (double)m);
}

/*
 * readMemScatter(pid, addrs BigUint64Array, size, Uint8Array) -> how many of the ranges were read:
 * `size` bytes at each address, into consecutive slots of the array, in one process_vm_readv per
 * IOV_MAX ranges. The kernel stops at the first range it cannot read whole, and so does this; the
 * caller reads the ranges after it another way. A few hundred scattered pages of a library's code
 * cost one call, where one read of the whole span between them copied megabytes.
 */
static napi_value ReadMemScatter(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!get_args(env, info, 4, a)) return NULL;
  void *addrs, *buf;
  size_t addrs_len, buf_len;
  if (!typed_bytes(env, a[1], &addrs, &addrs_len) || !typed_bytes(env, a[3], &buf, &buf_len)) return NULL;
  pid_t pid = (pid_t)get_i64(env, a[0]);
  size_t size = (size_t)get_i64(env, a[2]);
  size_t count = addrs_len / 8;
  if (size == 0 || count > buf_len / size) {
    napi_throw_range_error(env, NULL, "rewind.node: readMemScatter: the buffer is too small");
    return NULL;
  }
  enum { BATCH = 1024 };
  struct iovec remote[BATCH];
  size_t done = 0;
  while (done < count) {
    size_t n = count - done < BATCH ? count - done : BATCH;
    for (size_t i = 0; i < n; i++) {
      remote[i].iov_base = (void *)(uintptr_t)((const uint64_t *)addrs)[done + i];
      remote[i].iov_len = size;
    }
    struct iovec local = { (char *)buf + done * size, n * size };
    ssize_t got = process_vm_readv(pid, &local, 1, remote, n, 0);
    if (got <= 0) break;
    done += (size_t)got / size;
    if ((size_t)got < n * size) break;
  }
  return num(env, (double)done);
}

/*
 * A small write by PTRACE_PEEKDATA/POKEDATA, word by word (the kernel forces it into read-only pages
 * as a write through /proc/PID/mem does: the same FOLL_FORCE copy-on-write), for a write that
 * process_vm_writev refused: patching a code site is a dozen bytes, and opening /proc/PID/mem for it
 * costs more than the write. Works only on a ptrace-stopped tracee of this thread; false (with
 * possibly some words written, to be written again) on any failure, and the caller uses /proc/PID/mem.
 */
#define POKE_MAX 64
static int poke_small(pid_t pid, uint64_t addr, const uint8_t *buf, size_t len) {
  uint64_t first = addr & ~(uint64_t)7, end = addr + len;
  for (uint64_t w = first; w < end; w += 8) {
    long word = 0;
    if (w < addr || w + 8 > end) {
      errno = 0;
      word = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)w, NULL);
      if (word == -1 && errno != 0) return 0;
    }
    uint8_t *bytes = (uint8_t *)&word;
    for (unsigned i = 0; i < 8; i++)
      if (w + i >= addr && w + i < end) bytes[i] = buf[w + i - addr];
    if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)w, (void *)word) < 0) return 0;
  }
  return 1;
}

/* writeMem(pid, addr, Uint8Array) -> bytes written | -errno. Falls back to ptrace (small writes) or /proc/PID/mem for read-only pages. */
static napi_value WriteMem(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[2], &buf, &len)) return NULL;
  pid_t pid = (pid_t)get_i64(env, a[0]);
  uint64_t addr = get_u64(env, a[1]);
  struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
  ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return num(env, (double)n);
  if (len <= POKE_MAX && addr + len > addr && poke_small(pid, addr, buf, len)) return num(env, (double)len);
  return num(env, (double)proc_mem(pid, addr, buf, len, 1));
}

static napi_value Rdtsc(napi_env env, napi_callback_info info) {
  (void)info;
  return big(env, __rdtsc());
}

/* rdtscp(Uint32Array aux) -> BigInt tsc; aux[0] = TSC_AUX. */
static napi_value Rdtscp(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  uint32_t *aux;
  size_t len;
  if (!typed_bytes(env, a[0], (void **)&aux, &len) || len < 4) return NULL;
  unsigned int v;
  uint64_t t = __rdtscp(&v);
  aux[0] = v;
  return big(env, t);
}

/* cpuid(leaf, subleaf, Uint32Array(4) out) -> 0: out = eax, ebx, ecx, edx. */
static napi_value Cpuid(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  uint32_t *out;
  size_t len;
  if (!typed_bytes(env, a[2], (void **)&out, &len) || len < 16) return NULL;
  unsigned int r[4];
  __cpuid_count((unsigned)get_i64(env, a[0]), (unsigned)get_i64(env, a[1]), r[0], r[1], r[2], r[3]);
  memcpy(out, r, sizeof r);
  return num(env, 0);
}

/* setAffinity(tid, cpu) -> 0 | -errno (tid 0 = calling thread). */
static napi_value SetAffinity(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!get_args(env, info, 2, a)) return NULL;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET((int)get_i64(env, a[1]), &set);
  return num(env, sched_setaffinity((pid_t)get_i64(env, a[0]), sizeof set, &set) ? -errno : 0);
}

/* allowedCpus() -> bitmask of CPUs the calling thread may run on (first 53). */
static napi_value AllowedCpus(napi_env env, napi_callback_info info) {
  (void)info;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set)) return num(env, -errno);
  double mask = 0, bit = 1;
  for (int i = 0; i < 53; i++, bit *= 2)
    if (CPU_ISSET(i, &set)) mask += bit;
  return num(env, mask);
}

static napi_value Tgkill(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  long r = syscall(SYS_tgkill, (pid_t)get_i64(env, a[0]), (pid_t)get_i64(env, a[1]), (int)get_i64(env, a[2]));
  return num(env, r < 0 ? -errno : 0);
}

static napi_value Kill(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!get_args(env, info, 2, a)) return NULL;
  return num(env, kill((pid_t)get_i64(env, a[0]), (int)get_i64(env, a[1])) ? -errno : 0);
}

static volatile sig_atomic_t caught_mask;
static void on_caught(int sig) { caught_mask |= (sig_atomic_t)(1 << sig); }

/*
 * catchSignals([sig...]): from now on these signals only set a bit (no SA_RESTART: a blocking waitpid
 * on this thread returns EINTR); takeSignals() returns the bits set since the last call and clears them.
 * For the recorder, whose JavaScript never returns to the event loop while it records. Signals < 31.
 */
static napi_value CatchSignals(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  uint32_t n = 0;
  if (napi_get_array_length(env, a[0], &n) != napi_ok) return num(env, -EINVAL);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, a[0], i, &v);
    int sig = (int)get_i64(env, v);
    if (sig <= 0 || sig >= 31) return num(env, -EINVAL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_caught;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) return num(env, -errno);
  }
  return num(env, 0);
}

static napi_value TakeSignals(napi_env env, napi_callback_info info) {
  (void)info;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int m = caught_mask;
  caught_mask = 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return num(env, m);
}

/*
 * tcsetpgrp(fd, pgid) -> 0 | -errno, with SIGTTOU blocked for the call (a background process group
 * taking the terminal back would otherwise be stopped by it).
 */
static napi_value Tcsetpgrp(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!get_args(env, info, 2, a)) return NULL;
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &old);
  int r = tcsetpgrp((int)get_i64(env, a[0]), (pid_t)get_i64(env, a[1])) ? -errno : 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return num(env, r);
}

/* tcgetpgrp(fd) -> pgid | -errno (-ENOTTY when fd is not a terminal). */
static napi_value Tcgetpgrp(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  pid_t r = tcgetpgrp((int)get_i64(env, a[0]));
  return num(env, r < 0 ? -errno : r);
}

/* getpgrp() -> this process's process group. */
static napi_value Getpgrp(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, getpgrp());
}

/*
 * prlimit(pid, resource, set, soft, hard, old BigUint64Array(2)) -> 0 | -errno: prlimit64 of process pid
 * (0: this one); old receives the limit before the call (soft, hard); with set != 0 the limit becomes
 * {soft, hard} (BigInts; RLIM_INFINITY is all ones).
 */
static napi_value Prlimit(napi_env env, napi_callback_info info) {
  napi_value a[6];
  if (!get_args(env, info, 6, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[5], &buf, &len)) return NULL;
  if (len < 2 * sizeof(uint64_t)) {
    napi_throw_type_error(env, NULL, "rewind.node: prlimit needs 2 words for the old limit");
    return NULL;
  }
  struct rlimit nl = { (rlim_t)get_u64(env, a[3]), (rlim_t)get_u64(env, a[4]) }, ol;
  long r = syscall(SYS_prlimit64, (pid_t)get_i64(env, a[0]), (int)get_i64(env, a[1]), get_i64(env, a[2]) ? &nl : NULL, &ol);
  if (r != 0) return num(env, -errno);
  uint64_t *out = buf;
  out[0] = ol.rlim_cur;
  out[1] = ol.rlim_max;
  return num(env, 0);
}

/* lseek(fd, offset, whence) -> new offset | -errno (SEEK_DATA / SEEK_HOLE for sparse files). */
static napi_value Lseek(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!get_args(env, info, 3, a)) return NULL;
  off_t r = lseek((int)get_i64(env, a[0]), (off_t)get_i64(env, a[1]), (int)get_i64(env, a[2]));
  return num(env, r < 0 ? -errno : (double)r);
}

/**
 * memfdCreate(name) -> fd | -errno: an anonymous memory file of rewind's own (MFD_CLOEXEC), the
 * backing of a recorded file that the replayed processes map shared (src/replay/shared-backings.ts).
 */
static napi_value MemfdCreate(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  char name[250];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a[0], name, sizeof name, &len) != napi_ok) return num(env, -EINVAL);
  int fd = (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
  return num(env, fd < 0 ? -errno : fd);
}

/*
 * crc32(Uint8Array) -> the IEEE CRC-32 (zlib's) of its bytes: a trace chunk's checksum when node:zlib is
 * not loaded (a short recording stores its chunks uncompressed), where JavaScript's table loop, not yet
 * optimised, took 5 ms of `rewind record -- /bin/true`.
 */
static uint32_t crc_table[256];

static napi_value Crc32(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!get_args(env, info, 1, a)) return NULL;
  void *buf;
  size_t len;
  if (!typed_bytes(env, a[0], &buf, &len)) return NULL;
  if (crc_table[1] == 0) {
    for (uint32_t n = 0; n < 256; n++) {
      uint32_t c = n;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[n] = c;
    }
  }
  const uint8_t *p = buf;
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return num(env, (double)(c ^ 0xffffffffu));
}

#define EXPORT(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL }

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    EXPORT("spawn", Spawn), EXPORT("waitpid", Waitpid), EXPORT("waitpidTimeout", WaitpidTimeout), EXPORT("ptrace", Ptrace),
    EXPORT("ptraceBuf", PtraceBuf), EXPORT("getRegs", GetRegs), EXPORT("setRegs", SetRegs),
    EXPORT("getXState", GetXState), EXPORT("setXState", SetXState), EXPORT("getEventMsg", GetEventMsg),
    EXPORT("peekUser", PeekUser),
    EXPORT("readMem", ReadMem), EXPORT("readMemScatter", ReadMemScatter), EXPORT("writeMem", WriteMem), EXPORT("rdtsc", Rdtsc),
    EXPORT("rdtscp", Rdtscp), EXPORT("cpuid", Cpuid), EXPORT("setAffinity", SetAffinity),
    EXPORT("allowedCpus", AllowedCpus), EXPORT("tgkill", Tgkill), EXPORT("kill", Kill),
    EXPORT("tcsetpgrp", Tcsetpgrp), EXPORT("tcgetpgrp", Tcgetpgrp), EXPORT("getpgrp", Getpgrp),
    EXPORT("catchSignals", CatchSignals), EXPORT("takeSignals", TakeSignals),
    EXPORT("prlimit", Prlimit), EXPORT("lseek", Lseek), EXPORT("memfdCreate", MemfdCreate),
    EXPORT("crc32", Crc32),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
