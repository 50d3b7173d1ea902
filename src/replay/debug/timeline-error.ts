// Replay debugging: the error the timeline and its parts throw when the debugger asks for something the
// replay cannot do there (no such thread, a point out of the history, a re-execution that went astray).
export class TimelineError extends Error {}
