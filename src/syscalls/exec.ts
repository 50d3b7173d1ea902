// Irregular syscall: execve(2) and execveat(2), record and replay halves side by side. Recording
// turns a successful exec into an `exec` event (copies of the executable and interpreter, the initial
// stack and registers, the image: exec-image.ts); replay execs rewind's stub and builds the recorded
// image in its place (a trace without images: execs the trace's copy), then puts that stack and those
// registers back.
// Shared by both: where each call keeps its arguments, and the wait for the exec's end, during which
// a thread other than the leader takes over the leader's tid. A home of the syscall layer: it imports
// record/ and replay/ helpers and never the engines (recorder.ts, replayer.ts), which call it.
import { AT_FDCWD } from '../kernel/fcntl.js';
import { PR_SET_NAME, TASK_COMM_LEN } from '../kernel/prctl.js';
import { PTRACE_EVENT_EXEC } from '../kernel/ptrace.js';
import { R, syscallNr } from '../kernel/regs.js';
import { SYS } from '../kernel/syscall-names.js';
import { native } from '../native/addon.js';
import { CodeSpaces, PatchedCode, patchCode } from '../patch/code-patcher.js';
import type { ExecEvent, PatchEvent } from '../trace/events.js';
import { TraceeError } from '../tracee/errors.js';
import { prepareAfterExec } from '../tracee/exec-setup.js';
import { Mode } from '../syscallbuf/layout.js';
import { injectSyscall, withStringOnStack } from '../tracee/inject.js';
import { mapFilesPath, readMaps, type Mapping } from '../tracee/maps.js';
import type { Stop } from '../tracee/stop.js';
import type { Task } from '../tracee/task.js';
import type { TrapPlan } from '../tracee/trap-plan.js';
import type { FileStore } from '../record/file-store.js';
import { namedExecPath } from '../replay/exec-names.js';
import { copyPath, sameAsRecorded } from '../replay/trace-files.js';
import { buildImage, captureImage, emulatesExec, execStubPath } from './exec-image.js';
import { readlinkSync } from 'node:fs';

// ---- shared --------------------------------------------------------------------------------------

export function isExec(nr: number): boolean {
  return nr === SYS.execve || nr === SYS.execveat;
}

/** The argument pointers of an execve or execveat at its entry registers (execveat has dirfd first). */
function execArgs(entry: BigUint64Array): { at: boolean; path: bigint; argv: bigint; envp: bigint } {
  return syscallNr(entry) === SYS.execveat
    ? { at: true, path: entry[R.rsi]!, argv: entry[R.rdx]!, envp: entry[R.r10]! }
    : { at: false, path: entry[R.rdi]!, argv: entry[R.rsi]!, envp: entry[R.rdx]! };
}

/** What an engine tells waitExecEnd: the stops it reaps, and where those of other tasks go. */
export interface ExecWaiter {
  /** waitpid(-1): a tid (negative: -errno) and its stop (null: a stop to drop, a stray signal). */
  next(): { tid: number; stop: Stop | null };
  /** A stop of another task (the kernel ends the exec'ing task's sibling threads first): kept for later. */
  other(tid: number, stop: Stop): void;
}

/**
 * Waits for the end of the execve of task `tid` in process `leader`: its syscall-exit stop (it failed)
 * or its exec event. When a thread other than the leader execs, the kernel ends the other threads, the
 * old leader vanishes without reporting anything, and the exec event comes for the leader's tid, which
 * the exec'ing thread takes over (`tookOver`; the event message, its former tid, has been checked).
 */
export function waitExecEnd(tid: number, leader: number, w: ExecWaiter): { stop: Stop; tookOver: boolean } {
  for (;;) {
    const { tid: r, stop } = w.next();
    if (r < 0) throw new TraceeError(`waitpid for the execve of task ${tid} failed (errno ${-r})`);
    if (!stop) continue;
    if (r === tid) return { stop, tookOver: false };
    if (r === leader && stop.kind === 'event' && stop.event === PTRACE_EVENT_EXEC) {
      const former = Number(native.getEventMsg(leader));
      if (former !== tid) throw new TraceeError(`execve by task ${tid}: the exec event names task ${former}`);
      return { stop, tookOver: true };
    }
    if (r === leader) continue; // the old leader's last stop: it is going away
    w.other(r, stop);
  }
}

// ---- record --------------------------------------------------------------------------------------

/** argv and envp of an execve at its entry, each null when a pointer in it cannot be read. */
export function readExecArgs(task: Task, entry: BigUint64Array): { argv: string[] | null; envp: string[] | null } {
  const a = execArgs(entry);
  return { argv: readArgs(task, a.argv), envp: readArgs(task, a.envp) };
}

/** An argv/envp array of the task, or null when a pointer in it cannot be read. */
function readArgs(task: Task, addr: bigint): string[] | null {
  try {
    return task.readStringArray(addr);
  } catch (e) {
    if (e instanceof TraceeError && !e.taskGone) return null;
    throw e;
  }
}

/**
 * A successful execve, at its exit stop (task is known by its new tid): copies of the new image's
 * files, the post-exec setup and patches, and the events that say so (the patch event only when sites
 * were patched), with the image's mappings as they were before the setup.
 */
export function recordExecImage(task: Task, formerTid: number, argv: string[], envp: string[],
  files: FileStore, plan: TrapPlan, spaces: CodeSpaces): { exec: ExecEvent; patch: PatchEvent | null; buffered: boolean; maps: Mapping[] } {
  const exePath = readlinkSync(`/proc/${task.tid}/exe`);
  const maps = readMaps(task.tid);
  const interpMap = maps.find((m) => m.name.startsWith('/') && m.name !== exePath);
  const stackMap = maps.find((m) => m.name === '[stack]');
  if (!stackMap) throw new TraceeError(`execve of ${exePath}: cannot find its stack`);
  const exe = files.capture(`/proc/${task.tid}/exe`);
  const interp = interpMap ? files.capture(mapFilesPath(task.tid, interpMap)) : null;
  const image = captureImage(task, exePath, exe, interp, interpMap);
  const buffered = prepareAfterExec(task, plan, Mode.Record);
  spaces.execed(formerTid, task.tid);
  const sites = patchCode(task, PatchedCode.empty, plan.patch);
  spaces.set(task.tid, PatchedCode.empty.with(sites));
  const regs = task.fetchRegs().slice();
  const stackAddr = regs[R.rsp]!;
  const stack = task.read(stackAddr, Number(stackMap.end - stackAddr));
  return {
    exec: { kind: 'exec', tid: formerTid, path: exePath, argv, envp, exe, interp, stackAddr, stack, regs, newTid: task.tid, ...(image && { image }) },
    patch: sites.length > 0 ? { kind: 'patch', tid: task.tid, sites } : null,
    buffered,
    maps,
  };
}

// ---- replay --------------------------------------------------------------------------------------

/** What the replay half needs from the replayer. */
export interface ExecReplay {
  filesDir: string;
  plan: TrapPlan;
  spaces: CodeSpaces;
  diverge(message: string): Error;
}

/** How a replayed exec goes: the name (comm) the kernel gave the recorded process, and whether the image is built by rewind. */
export interface ExecStart {
  comm: string;
  /** The stub was exec'd and the recorded image is built in its place (exec-image.ts); else the trace's copy was exec'd. */
  emulated: boolean;
}

/** What the launcher execs for the first exec of a replay: the stub, or the trace's copy (exec-image.ts). */
export function firstExecPath(ev: ExecEvent, filesDir: string, name: string): string {
  return namedExecPath(emulatesExec(ev) ? execStubPath : copyPath(filesDir, ev.exe), name);
}

/**
 * At the entry of the program's execve: checks its arguments against the recording and, unless it is
 * the first exec (`launched`: the program rewind started, already running the stub or the trace's
 * copy: firstExecPath), makes it exec the stub (the image is then built from the recording) or the
 * trace's copy (a trace older than format version 5).
 */
export function enterReplayExec(task: Task, ev: ExecEvent, entry: BigUint64Array, launched: string | null, r: ExecReplay): ExecStart {
  const a = execArgs(entry);
  const argv = task.readStringArray(a.argv);
  if (JSON.stringify(argv) !== JSON.stringify(ev.argv)) {
    throw r.diverge(`execve arguments differ: expected ${JSON.stringify(ev.argv)}, got ${JSON.stringify(argv)}`);
  }
  // The last component of the path passed to execve; execveat from a file descriptor names it after the file.
  let path = launched ?? task.readCString(a.path);
  if (a.at && !path.startsWith('/')) path = ev.path;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const emulated = emulatesExec(ev);
  if (launched === null) pointExecAt(task, ev, entry, namedExecPath(emulated ? execStubPath : copyPath(r.filesDir, ev.exe), name));
  return { comm: new TextDecoder().decode(new TextEncoder().encode(name).subarray(0, TASK_COMM_LEN - 1)), emulated };
}

/**
 * At the exit stop of the replayed execve (now: the task by its new tid): the recorded name, the
 * interpreter check, the post-exec setup and patches, then the recorded initial stack and registers.
 */
export function finishReplayExec(now: Task, ev: ExecEvent, how: ExecStart, r: ExecReplay): boolean {
  const result = BigInt.asIntN(64, now.fetchRegs()[R.rax]!);
  if (result !== 0n) throw new TraceeError(`cannot execute ${how.emulated ? 'rewind\'s exec stub' : 'the trace\'s copy of ' + ev.path} (errno ${-result})`);
  const comm = how.comm;
  const copiedVdso = how.emulated ? buildImage(now, ev, r.filesDir) : null;
  // ps and /proc/PID/comm show the program's name, not the trace copy's, from as soon as possible
  // (registers and the stack bytes borrowed are put back; the program cannot tell).
  withStringOnStack(now, comm, (addr) => injectSyscall(now, SYS.prctl, [BigInt(PR_SET_NAME), addr]));
  if (!how.emulated) checkInterpreter(now, ev, r);
  const buffered = prepareAfterExec(now, r.plan, Mode.Replay, copiedVdso);
  r.spaces.execed(ev.tid, ev.newTid);
  r.spaces.set(ev.newTid, PatchedCode.empty.with(patchCode(now, PatchedCode.empty, r.plan.patchLocally)));
  now.write(ev.stackAddr, ev.stack);
  now.storeRegs(ev.regs);
  return buffered;
}

/**
 * The program's own execve: make it execute `target` (the stub or the trace's copy), with its own argv
 * and envp. The path goes below the stack pointer, in memory nothing live uses (a vfork child shares its
 * parent's memory, so nothing above rsp is touched).
 */
function pointExecAt(task: Task, ev: ExecEvent, entry: BigUint64Array, target: string): void {
  const path = new TextEncoder().encode(target + '\0');
  const rsp = entry[R.rsp]!;
  const addr = (rsp - 512n - BigInt(path.length)) & ~15n;
  const vma = readMaps(task.tid).find((m) => m.start <= addr && rsp < m.end);
  if (!vma) throw new TraceeError(`no room below the stack pointer to exec the trace's copy of ${ev.path}`);
  task.write(addr, path);
  const regs = entry.slice();
  if (syscallNr(entry) === SYS.execveat) {
    regs[R.rdi] = BigInt.asUintN(64, AT_FDCWD);
    regs[R.rsi] = addr;
    regs[R.r8] = 0n;
  } else {
    regs[R.rdi] = addr;
  }
  task.storeRegs(regs);
}

/** After a real exec the kernel maps the program's interpreter (ld.so) from the live file system: it must be unchanged. */
function checkInterpreter(task: Task, ev: ExecEvent, r: ExecReplay): void {
  if (!ev.interp) return;
  const exeCopy = copyPath(r.filesDir, ev.exe);
  const m = readMaps(task.tid).find((x) => x.name.startsWith('/') && x.name !== exeCopy);
  if (!m) throw r.diverge(`the interpreter ${ev.interp.path} was not mapped`);
  if (!sameAsRecorded(r.filesDir, ev.interp, mapFilesPath(task.tid, m))) {
    throw new TraceeError(`the program's interpreter ${ev.interp.path} changed since recording; replay needs the same one`);
  }
}
