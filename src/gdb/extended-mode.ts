// gdb layer: extended mode (`target extended-remote`, the `!` packet): the state that lets gdb kill
// the program and `run` it again over one connection. The session asks it and builds the replies.
// Imports nothing from rewind outside src/gdb.
//
// What gdb 13 sends on `run` when a program is being debugged (multiprocess+): vKill;PID (reply OK),
// vRun;HEX(PROGRAM);HEX(ARG)… (reply: a stop), then qAttached, Hg, qXfer:exec-file, the target
// description and the registers again, Z packets for its breakpoints, P for orig_rax (-1, so that
// resuming restarts no system call; only sent when the value differs) and a continue (vCont;c).

import type { RegisterInfo } from './register-layout.js';
import type { ResumeRequest } from './target.js';

export class ExtendedMode {
  /** `!` was accepted: a kill leaves the target for the next vRun, a hang-up ends serving. */
  enabled = false;
  /** After a kill: there is no process until a vRun starts one. */
  processGone = false;
  /**
   * Set by vRun: gdb's `run` continues the new process at once. The user asked to go to the restart
   * point, so that continue stops there instead of running on.
   */
  private holdContinue = false;

  killed(): void {
    this.processGone = true;
    this.holdContinue = false;
  }

  restarted(): void {
    this.processGone = false;
    this.holdContinue = true;
  }

  /** Whether this resume is the continue of gdb's `run`, to be answered by a stop where we are. */
  takeHeldContinue(request: ResumeRequest): boolean {
    const held = this.holdContinue;
    this.holdContinue = false;
    return held && request.direction === 'forward' && request.mode === 'continue';
  }

  /**
   * A register write gdb's `run` makes before its continue, which a target that refuses writes may
   * accept and drop: orig_rax = -1 (the held continue resumes nothing, so no syscall can restart).
   */
  dropsRegisterWrite(reg: RegisterInfo | undefined, data: Uint8Array): boolean {
    return this.holdContinue && reg?.name === 'orig_rax' && data.length === reg.size && data.every((b) => b === 0xff);
  }
}
