// Irregular syscall, execve's image (with exec.ts): record keeps the address space an exec left (its
// mappings, what each holds, the mm layout and auxv: src/tracee/address-space.ts); replay execs a tiny
// static stub instead of the program (native/exec-stub.c: a real exec, so the kernel gives a fresh mm and
// resets what exec resets) and, by injected system calls, replaces the stub's mappings by the recorded
// ones, from the trace's copies at the recorded addresses and protections. Nothing of the replaying
// machine's own files is loaded: not the program, not the dynamic loader.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { AT_FDCWD, O_CLOEXEC, O_RDONLY } from '../kernel/fcntl.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE, PAGE_SIZE, PROT_READ, PROT_WRITE } from '../kernel/mman.js';
import { PR_SET_MM, PR_SET_MM_MAP, PRCTL_MM_MAP_SIZE } from '../kernel/prctl.js';
import { R } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { E } from '../kernel/errno.js';
import { packageRoot } from '../native/addon.js';
import { ImageKind, type ExecEvent, type ExecImage, type FileRef, type ImageMapping } from '../trace/events.js';
import { fileName, imageMappings, isSpecial, kindOf, protOf, readAuxv, readLayout } from '../tracee/address-space.js';
import { TraceeError, UnsupportedError } from '../tracee/errors.js';
import { injectSyscall, withStringOnStack } from '../tracee/inject.js';
import { mapFilesPath, readMaps, type Mapping } from '../tracee/maps.js';
import type { Task } from '../tracee/task.js';
import { copyPath } from '../replay/trace-files.js';
import { join } from 'node:path';

/** The stub replay execs (built by `npm install` from native/exec-stub.c). */
export const execStubPath = join(packageRoot, 'build', 'rewind-exec-stub');
/** Where the stub lives (linked there) and, above its code, where the vDSO and vvar wait while they move. */
const STUB_START = 0x100000000000n;
const STUB_END = STUB_START + 0x200000n;
const SCRATCH = STUB_START + 0x100000n;
const CLOCK_MONOTONIC = 1n;

// ---- record --------------------------------------------------------------------------------------

/**
 * Right after a successful exec, before rewind changes anything in it (the vDSO's clock functions,
 * patched sites): the image's mappings (files named by their copies: the executable's and the
 * interpreter's, found by path or, failing that, by the file behind the mapping), the bytes of its
 * writable private mappings and of the vDSO, the mm layout and the saved auxv. Null (the exec is then
 * replayed by a real exec of the trace's copy) when the exec mapped another file.
 */
export function captureImage(task: Task, exePath: string, exe: FileRef, interp: FileRef | null,
  interpMap: Mapping | undefined): ExecImage | null {
  const maps = readMaps(task.tid);
  const exeName = exePath.replace(/ \(deleted\)$/, '');
  const interpName = interpMap ? fileName(interpMap) : null;
  const fileOf = (name: string): FileRef | null => (name === exeName ? exe : name === interpName ? interp : null);
  const mappings = imageMappings(maps, fileOf, (m) => task.read(m.start, Number(m.end - m.start)),
    (m) => readRange(mapFilesPath(task.tid, m), m.offset, Number(m.end - m.start)));
  if (!mappings) return null; // replayed by a real exec of the trace's copy
  return { mappings, layout: readLayout(task.tid), auxv: readAuxv(task.tid) };
}

/** Up to len bytes of a file from offset (fewer past its end). */
function readRange(path: string, offset: bigint, len: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(len);
    let n = 0;
    for (let r; n < len && (r = readSync(fd, buf, n, len - n, Number(offset) + n)) > 0;) n += r;
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

// ---- replay --------------------------------------------------------------------------------------

/**
 * Whether replay builds this exec's image itself (else it execs the trace's copy for real): the trace
 * has the image (format version 5 on), the stub is built, no recorded mapping is where the stub lives,
 * and REWIND_EXEC is not `real` (a knob to compare the two ways).
 */
export function emulatesExec(ev: ExecEvent): boolean {
  if (!ev.image || process.env['REWIND_EXEC'] === 'real' || !existsSync(execStubPath)) return false;
  return ev.image.mappings.every((m) => m.end <= STUB_START || m.start >= STUB_END || m.kind === ImageKind.Vsyscall);
}

/**
 * At the exit stop of the stub's exec: the recorded image in place of the stub's, the registers left
 * at the recorded ones (the stack bytes and the rest are put back by the caller, as after a real exec).
 * Returns where the vDSO is when it is a copy of the recorded one in anonymous memory (this kernel's
 * vDSO pages are not the recorded ones), null when this kernel's [vdso] is there.
 */
export function buildImage(task: Task, ev: ExecEvent, filesDir: string): { start: bigint; end: bigint } | null {
  const img = ev.image!;
  const stubRsp = task.fetchRegs()[R.rsp]!;
  const codeAt = task.regs[R.rip]!;
  const live = readMaps(task.tid);
  const specials = moveSpecialsAside(task, live, img);
  for (const m of live) {
    const kind = kindOf(m);
    if (kind === ImageKind.Stack || kind === ImageKind.Vsyscall || (specials && isSpecial(kind)) || (m.start <= codeAt && codeAt < m.end)) continue;
    unmap(task, m.start, m.end);
  }
  let copiedVdso: { start: bigint; end: bigint } | null = null;
  const fds = new Map<string, bigint>();
  try {
    for (const m of img.mappings) {
      if (m.kind === ImageKind.File) mapFile(task, m, fileFd(task, m.file!, filesDir, fds));
      else if (m.kind === ImageKind.Anon) mapAnon(task, m, m.prot);
      else if (m.kind === ImageKind.Stack) fitStack(task, m, live, stubRsp < ev.stackAddr ? stubRsp : ev.stackAddr, ev.stackAddr);
      else if (m.kind === ImageKind.Vsyscall) continue;
      else if (specials) {
        const from = specials.get(m)!;
        check(task, 'mremap', m, injectSyscall(task, SYS.mremap, [from, m.end - m.start, m.end - m.start, MREMAP_MAYMOVE | MREMAP_FIXED, m.start]), m.start);
      } else if (m.kind === ImageKind.Vvar) {
        mapAnon(task, m, m.prot); // read by no recorded code rewind leaves unpatched (below)
      } else {
        mapAnon(task, m, Number(PROT_READ | PROT_WRITE));
        copiedVdso = { start: m.start, end: m.end };
      }
      if (m.kind !== ImageKind.Vdso) for (const p of m.pieces) task.write(p.addr, p.data);
    }
    useRecordedVdso(task, img);
    if (copiedVdso) {
      const m = img.mappings.find((x) => x.kind === ImageKind.Vdso)!;
      check(task, 'mprotect', m, injectSyscall(task, SYS.mprotect, [m.start, m.end - m.start, BigInt(m.prot)]), 0n);
    }
    // From here the injections borrow the recorded entry point's bytes: the stub's code goes.
    task.storeRegs(ev.regs);
    const code = live.find((m) => m.start <= codeAt && codeAt < m.end);
    if (code) unmap(task, code.start, code.end);
    setLayout(task, img, ev, fileFd(task, ev.exe, filesDir, fds));
  } finally {
    for (const fd of fds.values()) injectSyscall(task, SYS.close, [fd]);
  }
  return copiedVdso;
}

function mapAnon(task: Task, m: ImageMapping, prot: number): void {
  const r = injectSyscall(task, SYS.mmap, [m.start, m.end - m.start, BigInt(prot), MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1n, 0n]);
  check(task, 'mmap', m, r, m.start);
}

/**
 * The kernel's vDSO and vvar pages go to a scratch place first (where the recording has them may be
 * where the stub's are), when this kernel's are the recorded ones by name and size. Otherwise (another
 * kernel, or REWIND_VDSO=recorded) they are unmapped, and null returned: the recorded vDSO's bytes are
 * then copied into anonymous memory at its address, and the vvar pages are left empty there. The
 * recorded vDSO's clock functions become system calls as always (exec-setup.ts), so the code left in it
 * that reads the kernel's vvar is none that glibc calls here (getcpu is patched too; vDSO getrandom,
 * Linux 6.11, would read zeros: such a trace needs this kernel's vDSO).
 */
function moveSpecialsAside(task: Task, live: Mapping[], img: ExecImage): Map<ImageMapping, bigint> | null {
  const mine = live.filter((m) => { const k = kindOf(m); return k === ImageKind.Vdso || k === ImageKind.Vvar; });
  const recorded = img.mappings.filter((m) => m.kind === ImageKind.Vdso || m.kind === ImageKind.Vvar);
  const shape = (l: { name: string; start: bigint; end: bigint }[]) => l.map((m) => `${m.name}:${m.end - m.start}`).join(' ');
  if (shape(mine) !== shape(recorded) || process.env['REWIND_VDSO'] === 'recorded') {
    for (const m of mine) unmap(task, m.start, m.end);
    return null;
  }
  const out = new Map<ImageMapping, bigint>();
  let at = SCRATCH;
  mine.forEach((m, i) => {
    const len = m.end - m.start;
    const r = injectSyscall(task, SYS.mremap, [m.start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at]);
    if (r !== at) throw new TraceeError(`cannot move ${m.name} of the replayed process aside (errno ${-r})`);
    out.set(recorded[i]!, at);
    at += len;
  });
  return out;
}

/**
 * The vDSO keeps this kernel's code where it is the recorded one; another kernel's (same size) gets the
 * recorded bytes written over it: its clock functions become system calls right after (exec-setup.ts),
 * so the code left reads nothing of this kernel's vvar that the recording's did not.
 */
function useRecordedVdso(task: Task, img: ExecImage): void {
  const vdso = img.mappings.find((m) => m.kind === ImageKind.Vdso);
  for (const p of vdso?.pieces ?? []) {
    if (!Buffer.from(task.read(p.addr, p.data.length)).equals(p.data)) task.write(p.addr, p.data);
  }
}

function unmap(task: Task, start: bigint, end: bigint): void {
  const r = injectSyscall(task, SYS.munmap, [start, end - start]);
  if (r !== 0n) throw new TraceeError(`cannot unmap 0x${start.toString(16)}-0x${end.toString(16)} of the exec stub (errno ${-r})`);
}

function check(task: Task, what: string, m: ImageMapping, r: bigint, want: bigint): void {
  if (r !== want) throw new TraceeError(`task ${task.tid}: ${what} of ${m.name || 'anonymous memory'} at 0x${m.start.toString(16)} for the recorded image failed (${r < 0n ? `errno ${-r}` : `0x${r.toString(16)}`})`);
}

/** The trace's copy of a file, opened once in the replayed process (checked against files.index first). */
function fileFd(task: Task, ref: FileRef, filesDir: string, fds: Map<string, bigint>): bigint {
  let fd = fds.get(ref.copy);
  if (fd === undefined) {
    const path = copyPath(filesDir, ref);
    fd = withStringOnStack(task, path, (addr) => injectSyscall(task, SYS.openat, [AT_FDCWD, addr, O_RDONLY | O_CLOEXEC, 0n]));
    if (fd < 0n) throw new TraceeError(`cannot open the trace's copy ${path} in the replayed process (errno ${-fd})`);
    fds.set(ref.copy, fd);
  }
  return fd;
}

function mapFile(task: Task, m: ImageMapping, fd: bigint): void {
  const r = injectSyscall(task, SYS.mmap, [m.start, m.end - m.start, BigInt(m.prot), MAP_PRIVATE | MAP_FIXED, fd, m.offset]);
  check(task, 'mmap', m, r, m.start);
}

/**
 * The stack: the stub's is the kernel's (same top, same rlimit); it is grown down to the recorded start
 * by a write of the kernel's into it (a fault below a stack grows it) or cut to it, given the recorded
 * protection, and cleared between the stub's stack pointer and the recorded one.
 */
function fitStack(task: Task, m: ImageMapping, live: Mapping[], clearFrom: bigint, clearTo: bigint): void {
  const stack = live.find((x) => kindOf(x) === ImageKind.Stack);
  if (!stack || stack.end !== m.end) {
    throw new UnsupportedError(`the stack's top here (0x${stack?.end.toString(16) ?? '?'}) is not the recorded one (0x${m.end.toString(16)}); replay with REWIND_EXEC=real`);
  }
  if (m.start < stack.start) {
    const r = injectSyscall(task, SYS.clock_gettime, [CLOCK_MONOTONIC, m.start]);
    const now = readMaps(task.tid).find((x) => kindOf(x) === ImageKind.Stack);
    if (r !== 0n || now?.start !== m.start) throw new TraceeError(`cannot grow the replayed process's stack to 0x${m.start.toString(16)} (errno ${-r})`);
  } else if (m.start > stack.start) {
    unmap(task, stack.start, m.start);
  }
  if (m.prot !== protOf(stack.perms)) check(task, 'mprotect', m, injectSyscall(task, SYS.mprotect, [m.start, m.end - m.start, BigInt(m.prot)]), 0n);
  const from = clearFrom & ~(PAGE_SIZE - 1n);
  if (from < clearTo) task.write(from, new Uint8Array(Number(clearTo - from)));
}

/**
 * The mm layout (code, data, brk, stack, argument and environment bounds: /proc/PID/stat, cmdline, the
 * [heap] and [stack] names, where brk starts) and the saved auxv, by prctl(PR_SET_MM, PR_SET_MM_MAP),
 * which needs no privilege; its exe_fd (making /proc/PID/exe the trace's copy instead of the stub) needs
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: without them /proc/PID/exe stays the stub (the program's own
 * readlink is answered from the recording either way).
 */
function setLayout(task: Task, img: ExecImage, ev: ExecEvent, exeFd: bigint): void {
  const l = img.layout;
  const buf = new Uint8Array(PRCTL_MM_MAP_SIZE + img.auxv.length);
  const dv = new DataView(buf.buffer);
  [l.startCode, l.endCode, l.startData, l.endData, l.startBrk, l.brk, l.startStack, l.argStart, l.argEnd, l.envStart, l.envEnd]
    .forEach((v, i) => dv.setBigUint64(i * 8, v, true));
  // Below the recorded stack pointer, in the stack's cleared part (cleared again after).
  const at = (ev.stackAddr - 4096n - BigInt(buf.length)) & ~15n;
  dv.setBigUint64(88, at + BigInt(PRCTL_MM_MAP_SIZE), true);
  dv.setUint32(96, img.auxv.length, true);
  buf.set(img.auxv, PRCTL_MM_MAP_SIZE);
  const call = (fd: number) => {
    dv.setUint32(100, fd >>> 0, true);
    task.write(at, buf);
    return injectSyscall(task, SYS.prctl, [BigInt(PR_SET_MM), BigInt(PR_SET_MM_MAP), at, BigInt(PRCTL_MM_MAP_SIZE), 0n]);
  };
  let r = call(Number(exeFd));
  if (r === -BigInt(E.EPERM) || r === -BigInt(E.EACCES) || r === -BigInt(E.EBUSY)) r = call(-1);
  task.write(at, new Uint8Array(buf.length));
  if (r !== 0n) {
    throw new UnsupportedError(`cannot give the replayed process its recorded memory layout (prctl PR_SET_MM_MAP: errno ${-r}; a kernel without CONFIG_CHECKPOINT_RESTORE?); replay with REWIND_EXEC=real`);
  }
}
