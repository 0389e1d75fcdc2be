// What the consuming runtime asks of a sink (the Parquet lake, BigQuery). The runtime commits a
// partition's offsets only after writeBatch resolved, so a sink must make the rows durable before
// resolving, and must tolerate seeing the same offsets again after a crash.
import type { Row } from './flattener.js';

export interface SinkBatch {
  partition: number;
  /** First and last source offsets the batch covers (some messages may have yielded no rows). */
  firstOffset: string;
  lastOffset: string;
  rows: Row[];
}

/** A row the sink's store refused on its own (a value it will never take); the runtime dead-letters it. */
export interface RefusedRow {
  row: Row;
  reason: string;
  message: string;
}

export interface WriteResult {
  /** Rows not written because the store refused them; every other row of the batch is durable. */
  refused: RefusedRow[];
}

export interface Sink {
  readonly name: string;
  /** The largest batch the sink wants, in rows (smaller batches keep each write and its retries short). */
  readonly maxBatchRows?: number;
  /**
   * Called before the first batch of a partition after each assignment, with the offset the
   * partition resumes from: anything written earlier for offsets at or past it was never
   * committed and must go, since those messages will be consumed again.
   */
  prepare(partition: number, resumeOffset: string): Promise<void>;
  /** Makes the rows durable; resolves only once they are. A failure that may pass is thrown retryable. */
  writeBatch(batch: SinkBatch): Promise<WriteResult>;
  /** Undoes a writeBatch whose offsets could not be committed (the partition moved away meanwhile). */
  discard(batch: SinkBatch): Promise<void>;
  close(): Promise<void>;
}
