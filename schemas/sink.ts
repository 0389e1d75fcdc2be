// What the consuming runtime asks of a sink (the Parquet lake, BigQuery). The runtime commits a
// partition's offsets only after writeBatch resolved, so a sink must make the rows durable before
// resolving, and must tolerate seeing the same offsets again after a crash.
import type { Row } from './flattener.js';
import type { TableDefinition } from './table.js';

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
  /** Kept with the batch's committed offset, for the sink to read back on the next assignment. */
  commitMetadata?: string;
}

/** What the runtime tells a sink about a partition it has just been assigned. */
export interface Assignment {
  /**
   * The metadata the group's committed offset for the partition carried at the assignment (null:
   * none), or undefined when the group had committed nothing for it. Later commits keep it until
   * the sink returns its own.
   */
  readonly committedMetadata: string | null | undefined;
  /** The partition's end offset now: an earlier owner can only have read messages below it. */
  endOffset(): Promise<string>;
  /**
   * Records `metadata` with the partition's committed offset, which stays where it is. Fails once
   * another member owns the partition: a sink claims a resource (a write stream) through it, so
   * that the next owner finds the resource and can fence it.
   */
  claim(metadata: string): Promise<void>;
}

export interface Sink {
  readonly name: string;
  /** The largest batch the sink wants, in rows (smaller batches keep each write and its retries short). */
  readonly maxBatchRows?: number;
  /** The longest a batch may gather rows, when the sink wants it shorter than the lake's file age. */
  readonly maxBatchAgeMs?: number;
  /**
   * Called before the first batch of a partition after each assignment, with the offset the
   * partition resumes from: anything written earlier for offsets at or past it was never
   * committed and must go, since those messages will be consumed again. `assignment` is given by
   * the consuming runtime (not by one-off writers).
   */
  prepare(partition: number, resumeOffset: string, assignment?: Assignment): Promise<void>;
  /** Makes the rows durable; resolves only once they are. A failure that may pass is thrown retryable. */
  writeBatch(batch: SinkBatch): Promise<WriteResult>;
  /**
   * Undoes a writeBatch whose offsets could not be committed (the partition moved away meanwhile,
   * or the commit failed and the batch will be written again), or makes sure that writing it again
   * adds no row twice where rows cannot be withdrawn.
   */
  discard(batch: SinkBatch): Promise<void>;
  close(): Promise<void>;
}

/** A generation of a table in a sink, and the table version its flattener had when it was built. */
export interface Generation {
  generation: number;
  version: number;
}

/**
 * Where a sink keeps a table's generations. Generation 1 is where a table starts; a rebuild writes
 * generation N+1 beside the current one and switches the table's views to it in one step, so a
 * query reads one generation, never a mix.
 */
export interface GenerationStore {
  /** The sink's name, as its consumer groups and control records name it ('parquet', 'bigquery'). */
  readonly sink: string;
  /** The generation the table's views read now. */
  current(table: TableDefinition): Promise<Generation>;
  /** Makes room for a new generation, recording the version it is built with. Idempotent. */
  prepare(table: TableDefinition, next: Generation): Promise<void>;
  /** A sink that writes the given generation. */
  writer(table: TableDefinition, generation: number): Promise<Sink>;
  /** Points the table (and its views) at `next` in one step. Idempotent. */
  switchTo(table: TableDefinition, next: Generation): Promise<void>;
  /** Removes a generation that is no longer current. Idempotent. */
  remove(table: TableDefinition, generation: number): Promise<void>;
}
