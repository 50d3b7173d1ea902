// Replay: walks the trace's events with lookahead, remembering the last few for reports.
import type { TraceEvent } from '../trace/events.js';
import type { TraceReader } from '../trace/trace-reader.js';

const RECENT = 6;
/** How far findAhead looks before giving up (events are kept in memory while it looks). */
const LOOKAHEAD_LIMIT = 100_000;

export class EventCursor {
  private readonly it: Iterator<TraceEvent>;
  private readonly ahead: TraceEvent[] = [];
  private ended = false;
  /** Index of the event peek() returns (0-based). */
  index = 0;
  readonly recent: { index: number; ev: TraceEvent }[] = [];

  /** Starts at event `from` (a replay resumed from a checkpoint taken there). */
  constructor(private readonly reader: TraceReader, from = 0) {
    this.it = reader.events(from);
    this.index = from;
  }

  private load(): boolean {
    if (this.ended) return false;
    const r = this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.ahead.push(r.value);
    return true;
  }

  peek(): TraceEvent | undefined {
    if (this.ahead.length === 0) this.load();
    return this.ahead[0];
  }

  /** Consumes the event peek() returned. */
  take(): TraceEvent {
    const ev = this.peek();
    if (!ev) throw new Error('EventCursor.take past the end');
    this.ahead.shift();
    this.recent.push({ index: this.index, ev });
    if (this.recent.length > RECENT) this.recent.shift();
    this.index++;
    return ev;
  }

  /** The first event after the current one that matches, without consuming anything. */
  findAhead(pred: (ev: TraceEvent) => boolean): TraceEvent | undefined {
    for (let i = 1; i < LOOKAHEAD_LIMIT; i++) {
      while (this.ahead.length <= i) if (!this.load()) return undefined;
      if (pred(this.ahead[i]!)) return this.ahead[i];
    }
    return undefined;
  }

  /** After peek() returned undefined: whether the recording was cut short. */
  get truncated(): boolean {
    return this.reader.endState === 'truncated';
  }
}
