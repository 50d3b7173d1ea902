// Replay: walks the trace's events with one event of lookahead, remembering the last few for reports.
import type { TraceEvent } from '../trace/events.js';
import type { TraceReader } from '../trace/trace-reader.js';

const RECENT = 6;

export class EventCursor {
  private readonly it: Iterator<TraceEvent>;
  private ahead: TraceEvent | undefined;
  private loaded = false;
  /** Index of the event peek() returns (0-based). */
  index = 0;
  readonly recent: { index: number; ev: TraceEvent }[] = [];

  constructor(private readonly reader: TraceReader) {
    this.it = reader.events();
  }

  peek(): TraceEvent | undefined {
    if (!this.loaded) {
      const r = this.it.next();
      this.ahead = r.done ? undefined : r.value;
      this.loaded = true;
    }
    return this.ahead;
  }

  /** Consumes the event peek() returned. */
  take(): TraceEvent {
    const ev = this.peek();
    if (!ev) throw new Error('EventCursor.take past the end');
    this.recent.push({ index: this.index, ev });
    if (this.recent.length > RECENT) this.recent.shift();
    this.index++;
    this.loaded = false;
    return ev;
  }

  /** After peek() returned undefined: whether the recording was cut short. */
  get truncated(): boolean {
    return this.reader.endState === 'truncated';
  }
}
