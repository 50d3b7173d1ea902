// CLI: an error in what the user asked for; printed as one line, exit status chosen by the command.
export class UsageError extends Error {
  constructor(message: string, readonly status = 2) {
    super(message);
  }
}
