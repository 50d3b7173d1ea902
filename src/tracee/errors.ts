// Traced-process model: errors raised while controlling a tracee.

/** A ptrace or memory operation on a tracee failed. */
export class TraceeError extends Error {
  constructor(message: string, readonly errno = 0) {
    super(message);
  }

  /** ESRCH: the task is not in a ptrace stop any more — it was killed (SIGKILL, a sibling's exit_group). */
  get taskGone(): boolean {
    return this.errno === 3;
  }
}

/** Something the program did that rewind cannot record or replay yet; the message names it. */
export class UnsupportedError extends Error {}
