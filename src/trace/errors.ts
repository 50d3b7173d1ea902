// Trace layer: the one error type every trace problem is reported with.
// Messages are a single human-readable line (the CLI prints them as they are, without a stack).

/** A trace could not be written or read: missing, not a trace, too new, corrupt, or an I/O failure. */
export class TraceError extends Error {
  constructor(message: string) {
    // Keep it to one line whatever got interpolated (paths, errno text, JSON parser messages).
    super(message.replace(/\s*[\r\n]+\s*/g, ' ').trim());
    this.name = 'TraceError';
  }
}

/** The one-line text of anything thrown (fs and zlib errors carry a code and a message). */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e.message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  return String(e);
}
