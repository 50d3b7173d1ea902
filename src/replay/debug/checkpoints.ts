// Replay debugging: restore points. Going back in time restores the latest restore point before the
// target and re-executes from there. The beginning of the recording is always one (a fresh replay).
import type { TraceReader } from '../../trace/trace-reader.js';
import type { Replayer } from '../replayer.js';
import type { Mark } from './marks.js';

/** What a restore point is restored into. */
export interface Restorable {
  restart(): void;
}

export class Checkpoints {
  constructor(private readonly reader: TraceReader) {}

  /** Called at event boundaries of forward runs: a chance to keep a copy of the replay here. */
  maybeTake(_replayer: Replayer, _mark: Mark, _force: boolean): void {
    void this.reader;
  }

  /**
   * Restores the latest restore point from which `target` is reached by running forward (strictly
   * before it when it is a bare event boundary). Returns that point's event index.
   */
  restoreBefore(into: Restorable, _target: Mark): number {
    into.restart();
    return 0;
  }

  discardAll(): void {}
}
