// The rows a partition has gathered since its last commit, and the facts it has already written.
import { LRUCache } from 'lru-cache';
import type { Row } from '../../../schemas/flattener.js';
import type { SinkBatch } from '../../../schemas/sink.js';

/**
 * A consumed message, held until its rows are committed: a batch that cannot be written is
 * narrowed down to the one message that fails, which is dead-lettered whole.
 */
export interface HeldMessage {
  offset: string;
  value: Buffer | null;
  /** How many times a redrive has sent it through already (its dead-letter count). */
  retryCount: number;
  /** Its rows in its batch: they follow those of the messages before it. */
  rows: number;
  /** Writes of it alone that failed in a way retrying cannot fix. */
  failures: number;
}

/** What the runtime writes: a sink's batch and the messages its rows came from, in order. */
export interface Batch extends SinkBatch {
  messages: HeldMessage[];
}

export interface RollLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

/** A rough size of a row: enough to bound memory and file size, far cheaper than serialising. */
function approxBytes(row: Row): number {
  let n = 0;
  for (const v of Object.values(row))
    n += typeof v === 'string' ? v.length : Array.isArray(v) ? v.join('').length + 8 : 8;
  return n;
}

export class PartitionBuffer {
  private rows: Row[] = [];
  private messages: HeldMessage[] = [];
  private bytes = 0;
  /** Bytes of the messages held: they bound the memory a batch holds as much as its rows do. */
  private held = 0;
  private firstOffset: string | undefined;
  private lastOffset: string | undefined;
  private openedAt = 0;
  /** Set once the sink has been prepared for this assignment. */
  prepared = false;
  /** The partition's committed offset and its metadata, as this member last committed or found them. */
  committed: { offset: string; metadata: string | null } | undefined;
  /** Failed attempts of the write now pending, and when the next may start (0: whenever due). */
  attempts = 0;
  retryAt = 0;
  /** Facts already written by this process for this partition (keys of one request share a partition). */
  private readonly written: LRUCache<string, true>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly partition: number,
    private readonly factKey: (row: Row) => string,
    suppressionSize: number,
  ) {
    // Bounded by maxSize with each fact counting one, not by `max`: with `max` lru-cache allocates
    // its whole storage up front, 12 caches of 100,000 entries for a service's six partitions and two
    // sinks, about 0.1 CPU-s and 20 MB at every start, for facts that mostly never come.
    this.written = new LRUCache({ maxSize: suppressionSize, sizeCalculation: () => 1 });
  }

  /** Runs `fn` after everything queued before it: batches and timed rolls never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Records a consumed message and its rows; returns how many rows were suppressed as already written. */
  add(message: Omit<HeldMessage, 'rows' | 'failures'>, rows: Row[]): number {
    const { offset } = message;
    if (this.firstOffset === undefined) {
      this.firstOffset = offset;
      this.openedAt = Date.now();
    }
    this.lastOffset = offset;
    // Not `{ ...message, rows: 0, failures: 0 }`: a spread followed by new properties costs
    // microseconds an object on Node 20 (see tables/thena/request-event.ts, eventRow).
    const held: HeldMessage = { offset, value: message.value, retryCount: message.retryCount, rows: 0, failures: 0 };
    this.messages.push(held);
    this.held += message.value?.length ?? 0;
    let suppressed = 0;
    for (const row of rows) {
      const key = this.factKey(row);
      if (this.written.has(key)) {
        suppressed++;
        continue;
      }
      this.written.set(key, true);
      this.rows.push(row);
      held.rows++;
      this.bytes += approxBytes(row);
    }
    return suppressed;
  }

  /** Rows gathered and not yet handed to the sink. */
  get size(): number {
    return this.rows.length;
  }

  get pending(): boolean {
    return this.lastOffset !== undefined;
  }

  due(limits: RollLimits, now = Date.now()): boolean {
    if (!this.pending) return false;
    if (this.attempts > 0) return now >= this.retryAt;
    return (
      this.rows.length >= limits.maxRows ||
      this.bytes >= limits.maxBytes ||
      this.held >= limits.maxBytes ||
      now - this.openedAt >= limits.maxAgeMs
    );
  }

  /** Puts back a batch whose write failed, ahead of anything gathered since. */
  restore(batch: Batch): void {
    this.rows = [...batch.rows, ...this.rows];
    this.messages = [...batch.messages, ...this.messages];
    for (const row of batch.rows) this.bytes += approxBytes(row);
    for (const m of batch.messages) this.held += m.value?.length ?? 0;
    this.lastOffset ??= batch.lastOffset;
    this.firstOffset = batch.firstOffset;
  }

  /** Hands over what is buffered and starts afresh. */
  take(): Batch | undefined {
    if (this.firstOffset === undefined || this.lastOffset === undefined) return undefined;
    const batch = {
      partition: this.partition,
      firstOffset: this.firstOffset,
      lastOffset: this.lastOffset,
      rows: this.rows,
      messages: this.messages,
    };
    this.rows = [];
    this.messages = [];
    this.bytes = 0;
    this.held = 0;
    this.firstOffset = undefined;
    this.lastOffset = undefined;
    return batch;
  }

  /** After a rebalance: drop what was not committed and forget what was written, since it may be re-read. */
  reset(): void {
    this.take();
    this.written.clear();
    this.prepared = false;
    this.committed = undefined;
    this.attempts = 0;
    this.retryAt = 0;
  }
}
