// Traced-process model: errors raised while controlling a tracee.

/** A ptrace or memory operation on a tracee failed. */
export class TraceeError extends Error {}

/** Something the program did that rewind cannot record or replay yet; the message names it. */
export class UnsupportedError extends Error {}
