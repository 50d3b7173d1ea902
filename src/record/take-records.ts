// Record: takes the records a thread wrote in its syscall buffer since they were last taken, as
// src/syscallbuf/install.ts's takeRecords does (read `used` and `count`, the records, then zero
// `used`, `count` and `reserved`), but into one buffer kept for every batch instead of a new one each
// time. A batch is up to 1 MiB (ls -lR: 79 batches of ~850 KB); fresh memory costs a page fault a
// page, some 20 µs each on this VM, ~290 ms of a 3 s recording of ls -lR, where reading into memory
// already mapped costs a few. The recorder encodes the records into the trace (a copy) before it
// takes the next batch, so one buffer is enough.
//
// A copy of install.ts's protocol, kept here because that file belongs to the syscall buffer's
// owner: the two must change together (install.ts's takeRecords could take this `into` buffer).
import { native } from '../native/addon.js';
import { TraceeError } from '../tracee/errors.js';
import type { Task } from '../tracee/task.js';
import { CAPACITY, H, recordsOf } from '../syscallbuf/layout.js';

export class RecordsTaker {
  /** Holds the last batch taken (valid until the next take). */
  private scratch = new Uint8Array(0);
  private readonly header = new Uint8Array(8);
  private readonly zeros = new Uint8Array(8);

  /** The records task wrote in `buffer` since the last take (emptying it), or null when none. TraceeError when gone. */
  take(task: Task, buffer: bigint): { count: number; records: Uint8Array } | null {
    this.read(task, buffer + BigInt(H.used), this.header);
    const dv = new DataView(this.header.buffer);
    const used = dv.getUint32(0, true);
    const count = dv.getUint32(4, true);
    if (count === 0) return null;
    if (used > this.scratch.length) this.scratch = new Uint8Array(Math.max(used, CAPACITY));
    const records = this.scratch.subarray(0, used);
    this.read(task, recordsOf(buffer), records);
    task.write(buffer + BigInt(H.used), this.zeros); // used, count
    task.write(buffer + BigInt(H.reserved), this.zeros.subarray(0, 4));
    return { count, records };
  }

  private read(task: Task, addr: bigint, into: Uint8Array): void {
    if (native.readMem(task.tid, addr, into) !== into.length) {
      throw new TraceeError(`cannot read ${into.length} bytes at 0x${addr.toString(16)} in task ${task.tid}`);
    }
  }
}
