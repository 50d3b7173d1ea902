// Traced-process model: many small reads and writes of a stopped task's memory, gathered page by page
// and written back once per page. Replay's patch events rewrite thousands of sites (make -j2: 7,200
// in 67 events, each a check of the bytes there and one to three writes), and a write into read-only
// code is a forced write through the kernel per call; here each page is read once and its changed
// bytes are written in one piece by flush().
//
// Reads see the writes made before them, as they would in the task, so a sequence of checks and
// writes means what it means unbatched. Nothing else may change the memory meanwhile: the task and
// every task sharing its memory stay stopped until flush().
import { PAGE_SIZE } from '../kernel/mman.js';
import { TraceeError } from './errors.js';
import type { Task } from './task.js';

/** What the patcher reads and writes through: a Task, or a PageBatch of one. */
export interface TaskMemory {
  readPartial(addr: bigint, len: number): Uint8Array;
  write(addr: bigint, data: Uint8Array): void;
  /** A hint: the pages around these addresses are about to be read (a batch reads them in few calls). */
  prefetch?(addrs: readonly bigint[]): void;
}

/**
 * PageBatch.prefetch also reads the page after an address this close to its page's end: what the
 * patchers read at an address (a syscall site, a cpuid window) is shorter.
 */
const NEAR_END = 64n;

const PAGE = Number(PAGE_SIZE);
const PAGE_MASK = ~(PAGE_SIZE - 1n);

interface Page {
  /** The page's bytes as read (fewer than a page where it stops being readable), with the writes applied. */
  bytes: Uint8Array;
  /** The changed span [lo, hi), empty when lo >= hi. */
  lo: number;
  hi: number;
}

/**
 * The memory batches read pages into, reused from one batch to the next (each lives within one patch
 * operation: made, used, flushed, dropped). Fresh memory for every batch (libc's ~100 pages at each
 * exec, at record and replay) cost more than the reads on a VM that faults each new page in at ~11 µs.
 * A batch takes its pages from `room` onwards; one that needs more starts a bigger buffer (the pages
 * it read into the old one keep it alive until the batch is dropped).
 */
const pool = { buf: new Uint8Array(64 * PAGE), batch: 0 };

export class PageBatch implements TaskMemory {
  private readonly pages = new Map<bigint, Page>();
  /** This batch's number: pool memory is its own only while no later batch has started. */
  private readonly id = ++pool.batch;
  /** The first byte of the pool's buffer this batch has not used. */
  private room = 0;

  constructor(private readonly task: Task) {}

  /** Every use checks that the batch's pages are still its own. */
  private own(): void {
    if (this.id !== pool.batch) throw new Error('PageBatch: used after a later batch started (its pages are reused)');
  }

  /** n pages of the pool for this batch. */
  private take(n: number): Uint8Array {
    const len = n * PAGE;
    if (this.room + len > pool.buf.length) {
      pool.buf = new Uint8Array(Math.max(2 * pool.buf.length, len));
      this.room = 0;
    }
    const out = pool.buf.subarray(this.room, this.room + len);
    this.room += len;
    return out;
  }

  private page(start: bigint): Page {
    this.own();
    let p = this.pages.get(start);
    if (!p) {
      const into = this.take(1);
      p = { bytes: into.subarray(0, this.task.readInto(start, into)), lo: PAGE, hi: 0 };
      this.pages.set(start, p);
    }
    return p;
  }

  /**
   * Reads the pages holding addrs (and the page after one close to its page's end, for a site that
   * crosses into it) in one call: a read per page cost the patching of each exec's libc ~1.5 ms, and
   * one read of the whole span from the first page to the last copied its megabyte and a half
   * (~4.5 ms on an AMD VM). A page this does not read (unreadable, or after one that is) is read on
   * its own when first used.
   */
  prefetch(addrs: readonly bigint[]): void {
    const want = new Set<bigint>();
    for (const a of addrs) {
      const start = a & PAGE_MASK;
      if (!this.pages.has(start)) want.add(start);
      if (a - start >= PAGE_SIZE - NEAR_END && !this.pages.has(start + PAGE_SIZE)) want.add(start + PAGE_SIZE);
    }
    if (want.size === 0) return;
    this.own();
    const starts = [...want].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const { bytes, count } = this.task.readScatter(starts, PAGE, this.take(starts.length));
    for (let i = 0; i < count; i++) this.pages.set(starts[i]!, { bytes: bytes.subarray(i * PAGE, (i + 1) * PAGE), lo: PAGE, hi: 0 });
  }

  /** Up to len bytes at addr; fewer where the memory stops being readable (as Task.readPartial). */
  readPartial(addr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = addr + BigInt(done);
      const start = at & PAGE_MASK;
      const off = Number(at - start);
      const bytes = this.page(start).bytes;
      const n = Math.min(len - done, bytes.length - off);
      if (n <= 0) break;
      out.set(bytes.subarray(off, off + n), done);
      done += n;
      if (bytes.length < PAGE) break;
    }
    return out.subarray(0, done);
  }

  /** Writes data at addr in the batch; all of it must be readable memory (else nothing is written). */
  write(addr: bigint, data: Uint8Array): void {
    for (let done = 0; done < data.length;) {
      const at = addr + BigInt(done);
      const start = at & PAGE_MASK;
      const off = Number(at - start);
      const n = Math.min(data.length - done, PAGE - off);
      if (this.page(start).bytes.length < off + n) {
        throw new TraceeError(`cannot write ${data.length} bytes at 0x${addr.toString(16)} in task ${this.task.tid}`);
      }
      done += n;
    }
    for (let done = 0; done < data.length;) {
      const at = addr + BigInt(done);
      const start = at & PAGE_MASK;
      const off = Number(at - start);
      const n = Math.min(data.length - done, PAGE - off);
      const p = this.page(start);
      p.bytes.set(data.subarray(done, done + n), off);
      p.lo = Math.min(p.lo, off);
      p.hi = Math.max(p.hi, off + n);
      done += n;
    }
  }

  /** Writes each page's changed span into the task, in address order. */
  flush(): void {
    this.own();
    const starts = [...this.pages.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const pieces: [bigint, Uint8Array][] = [];
    for (const start of starts) {
      const p = this.pages.get(start)!;
      if (p.lo < p.hi) pieces.push([start + BigInt(p.lo), p.bytes.subarray(p.lo, p.hi)]);
      p.lo = PAGE;
      p.hi = 0;
    }
    this.task.writeMany(pieces);
  }
}
