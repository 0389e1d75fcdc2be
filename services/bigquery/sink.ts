// The BigQuery sink: the Storage Write API's committed streams, one per partition and assignment,
// written at explicit offsets, so that BigQuery's own tables hold each row once. The protocol:
//
// 1. Before its first write after an assignment the sink reads the stream and row count the last
//    commit recorded (Kafka offset commit metadata), finalizes that stream (so a member that lost
//    the partition can no longer append to it) and compares its row count with the recorded one.
//    BigQuery takes a stream's calls in turn, so that count is final: an append still under way is
//    either in it or refused. If the stream holds more, a previous owner wrote rows it never
//    committed; if the stream is unknown (an emulator restarted), nobody can tell. Either way the
//    rows of messages below the partition's end offset at that moment may already be in the table:
//    those batches are checked against the table by their identity (event_id and fact key), and
//    rows already there are left out.
// 2. It creates a fresh committed stream and claims it in the partition's commit metadata before
//    the first append: a later owner finds it there, fences it and counts its rows.
// 3. Each batch is appended at the stream's next offset; the commit that follows records the new
//    row count. An append whose outcome is unknown (no answer) abandons the stream, which is
//    finalized before the retry, and the retried batch is checked against the table.
//
// Rows BigQuery refuses are returned for the runtime to dead-letter; the rest of the append is
// written. Failures that may pass are thrown as retryable.
import { LRUCache } from 'lru-cache';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Row } from '../../schemas/flattener.js';
import type { Assignment, RefusedRow, Sink, SinkBatch, WriteResult } from '../../schemas/sink.js';
import type { TableDeclaration } from '../../schemas/table.js';
import type { Logger } from '../shared/logger.js';
import { RetryableError, isRetryable } from '../shared/retry.js';
import { appendsOf, smallerAppends, type Append } from './appends.js';
import { CommittedStream, finalizeStream, type WriteClient } from './write-api.js';

/** BigQuery's limit of one AppendRows request (BIGQUERY_APPEND_MAX_BYTES by default). */
export const bigQueryAppendMaxBytes = 10_000_000;
/** Left in every append for the request's framing and the rows' schema. */
const appendHeadroomBytes = 64 * 1024;

export interface BigQuerySinkOptions {
  bq: BigQuery;
  writeClient: WriteClient;
  dataset: string;
  table: TableDeclaration;
  /** Batches are appended this long after their first row at the latest (BIGQUERY_BATCH_MAX_AGE_MS). */
  maxBatchAgeMs?: number;
  /** The most one append carries (BIGQUERY_APPEND_MAX_BYTES); BigQuery's 10 MB by default. */
  appendMaxBytes?: number;
  logger?: Logger;
}

/** What the sink records with each commit. */
interface Claim {
  stream: string;
  rows: number;
}

function parseClaim(metadata: string | null | undefined): Claim | undefined {
  try {
    const c = JSON.parse(metadata ?? '') as Partial<Claim>;
    return typeof c.stream === 'string' && Number.isSafeInteger(c.rows) ? (c as Claim) : undefined;
  } catch {
    return undefined;
  }
}

interface PartitionState {
  assignment?: Assignment;
  stream?: CommittedStream;
  /** Rows in `stream`: the offset of the next append. */
  rows: number;
  /** A stream whose last append got no answer: finalized before anything else is written. */
  abandoned?: string;
  /** Batches starting below this Kafka offset may hold rows the table already has. */
  checkBelow?: bigint;
  /** Newly assigned: the last owner's stream is still to be fenced and counted. */
  recover?: boolean;
}

/** The columns that identify a row of the base table: the delivering event and the fact. */
export function rowIdentity(table: TableDeclaration): string[] {
  const hasEvent = table.columns.some((c) => c.name === 'event_id');
  return [...new Set([...(hasEvent ? ['event_id'] : []), ...table.factKey])];
}

/** Batches below `offset` are checked against the table before they are written (again). */
function checkBelowOffset(s: PartitionState, offset: bigint): void {
  if (s.checkBelow === undefined || s.checkBelow < offset) s.checkBelow = offset;
}

const absent = (v: unknown) => v === null || v === undefined;
const identityKey = (identity: readonly string[], row: Record<string, unknown>) =>
  identity.map((c) => (absent(row[c]) ? '\u2205' : String(row[c]))).join('\u0001');

/**
 * The rows whose identity the base table `ref` does not hold yet. The query filters on a STRING or
 * INT64 column of the identity that every row of the batch has (a row with NULL there would not be
 * found), the one with the most distinct values (event_id, mostly), passed with its type.
 */
async function notYetWritten(bq: BigQuery, table: TableDeclaration, ref: string, rows: Row[]): Promise<Row[]> {
  if (rows.length === 0) return rows;
  const identity = rowIdentity(table);
  const filter = table.columns
    .filter((c) => identity.includes(c.name) && (c.type === 'STRING' || c.type === 'INT64') && c.mode !== 'REPEATED')
    .filter((c) => rows.every((r) => !absent(r[c.name])))
    .map((c) => ({ c, n: new Set(rows.map((r) => String(r[c.name]))).size }))
    .sort((a, b) => b.n - a.n)[0]?.c;
  if (!filter) throw new Error(`${table.name}: no column of its row identity that every row has, to look rows up by`);
  const values = [...new Set(rows.map((r) => String(r[filter.name])))];
  const [found] = await bq
    .query({
      query: `SELECT ${identity.join(', ')} FROM ${ref} WHERE ${filter.name} IN UNNEST(@values)`,
      params: { values: filter.type === 'INT64' ? values.map(Number) : values },
      types: { values: [filter.type] },
    })
    .catch((err: unknown) => {
      if (!isRetryable(err)) throw err;
      const message = `could not check ${ref} for rows already written: ${(err as Error).message}`;
      throw new RetryableError(message, { cause: err });
    });
  const seen = new Set((found as Record<string, unknown>[]).map((r) => identityKey(identity, r)));
  return rows.filter((r) => !seen.has(identityKey(identity, r)));
}

/** The sink as a plain object, so that callers may wrap it by spreading. */
export function bigQuerySink(opts: BigQuerySinkOptions): Sink {
  const sink = new StorageWriteSink(opts);
  return {
    name: sink.name,
    maxBatchRows: sink.maxBatchRows,
    maxBatchAgeMs: sink.maxBatchAgeMs,
    prepare: (partition, resumeOffset, assignment) => sink.prepare(partition, resumeOffset, assignment),
    writeBatch: (batch) => sink.writeBatch(batch),
    discard: (batch) => sink.discard(batch),
    close: () => sink.close(),
  };
}

class StorageWriteSink implements Sink {
  readonly name = 'bigquery';
  readonly maxBatchRows = 5_000;
  readonly maxBatchAgeMs: number | undefined;
  private readonly table: TableDeclaration;
  private readonly client: WriteClient;
  private readonly appendMaxBytes: number;
  private readonly tablePath: string;
  private readonly tableRef: string;
  private readonly identity: string[];
  private readonly log: Logger | undefined;
  private readonly states = new Map<number, PartitionState>();
  private readonly writing = new Map<number, Promise<unknown>>();
  /**
   * Rows BigQuery refused, by identity: a retried batch does not send them again, and reports
   * them (once the whole batch is written) for the runtime to dead-letter.
   */
  private readonly refused = new LRUCache<string, RefusedRow>({ max: 10_000 });

  constructor(private readonly o: BigQuerySinkOptions) {
    this.table = o.table;
    this.client = o.writeClient;
    this.maxBatchAgeMs = o.maxBatchAgeMs;
    this.appendMaxBytes = (o.appendMaxBytes ?? bigQueryAppendMaxBytes) - appendHeadroomBytes;
    const project = o.bq.projectId;
    this.tablePath = `projects/${project}/datasets/${o.dataset}/tables/${o.table.name}`;
    this.tableRef = `\`${project}.${o.dataset}.${o.table.name}\``;
    this.identity = rowIdentity(o.table);
    this.log = o.logger?.child({ component: 'bigquery-sink', table: o.table.name });
  }

  private identityOf(row: Record<string, unknown>): string {
    return identityKey(this.identity, row);
  }

  async prepare(partition: number, _resumeOffset: string, assignment?: Assignment): Promise<void> {
    // Only noted here: the stream work is done before the first write, where a failure (BigQuery
    // away) is retried like any write instead of failing the assignment.
    this.states.set(partition, { rows: 0, assignment, recover: assignment !== undefined });
  }

  /** One write at a time per partition: appends take the stream's offsets in turn. */
  writeBatch(batch: SinkBatch): Promise<WriteResult> {
    const previous = this.writing.get(batch.partition) ?? Promise.resolve();
    const next = previous.then(
      () => this.write(batch),
      () => this.write(batch),
    );
    this.writing.set(
      batch.partition,
      next.catch(() => undefined),
    );
    return next;
  }

  private async write(batch: SinkBatch): Promise<WriteResult> {
    let s = this.states.get(batch.partition);
    if (!s) this.states.set(batch.partition, (s = { rows: 0 }));
    if (s.recover && s.assignment) await this.recover(s, s.assignment);
    if (s.abandoned) {
      // Fenced before the check: an append of ours still under way is then in the table or refused.
      await finalizeStream(this.client, s.abandoned);
      s.abandoned = undefined;
    }
    const refusedNow = new Map<string, RefusedRow>();
    let rows = batch.rows.filter((row) => {
      const known = this.refused.get(this.identityOf(row));
      if (known) refusedNow.set(this.identityOf(row), known);
      return !known;
    });
    if (s.checkBelow !== undefined) {
      if (BigInt(batch.firstOffset) >= s.checkBelow) s.checkBelow = undefined;
      else {
        const fresh = await notYetWritten(this.o.bq, this.table, this.tableRef, rows);
        if (fresh.length < rows.length) {
          this.log?.info(
            { partition: batch.partition, skipped: rows.length - fresh.length },
            'left out rows already written',
          );
        }
        rows = fresh;
      }
    }
    try {
      const refuse = (row: Row, message: string) =>
        refusedNow.set(this.identityOf(row), { row, reason: 'invalid', message });
      for (const chunk of appendsOf(this.table, rows, this.appendMaxBytes, refuse))
        await this.append(s, chunk, batch, refusedNow);
    } catch (err) {
      // Appends of this batch before the failure are in the table: whatever writes these messages
      // next (a retry, or the runtime's narrowing of a batch that cannot be written) checks first.
      checkBelowOffset(s, BigInt(batch.lastOffset) + 1n);
      throw err;
    } finally {
      for (const [id, r] of refusedNow) this.refused.set(id, r);
    }
    const claim: Claim | undefined = s.stream ? { stream: s.stream.name, rows: s.rows } : undefined;
    return { refused: [...refusedNow.values()], commitMetadata: claim && JSON.stringify(claim) };
  }

  async discard(batch: SinkBatch): Promise<void> {
    // Rows in a committed stream cannot be withdrawn. Whatever writes these messages next checks
    // them against the table first: this sink when the commit is tried again (checkBelow), or the
    // partition's next owner, which finds more rows in the claimed stream than the commit recorded.
    const s = this.states.get(batch.partition);
    if (s) checkBelowOffset(s, BigInt(batch.lastOffset) + 1n);
  }

  async close(): Promise<void> {
    this.states.clear();
  }

  /** Fences the stream the last commit recorded and decides whether the next batches need checking. */
  private async recover(s: PartitionState, assignment: Assignment): Promise<void> {
    const metadata = assignment.committedMetadata;
    const last = parseClaim(metadata);
    let uncertain: boolean;
    if (last) {
      const held = await finalizeStream(this.client, last.stream);
      uncertain = held === 'gone' || held > last.rows;
      if (uncertain)
        this.log?.info({ stream: last.stream, held, committed: last.rows }, 'the last stream holds uncommitted rows');
    } else {
      // Committed by something else (an older sink) or never: what was written past it is unknown.
      uncertain = metadata !== undefined;
    }
    // Read after the fence: nothing an earlier owner appended comes from at or past this offset.
    if (uncertain) s.checkBelow = BigInt(await assignment.endOffset());
    s.recover = false;
  }

  /** Opens a fresh stream and, under the runtime, claims it before anything is appended. */
  private async openStream(s: PartitionState): Promise<CommittedStream> {
    const stream = await CommittedStream.create(this.client, this.tablePath);
    try {
      await s.assignment?.claim(JSON.stringify({ stream: stream.name, rows: 0 } satisfies Claim));
    } catch (err) {
      const message = `could not claim a write stream for ${this.table.name}: ${(err as Error).message}`;
      throw new RetryableError(message, { cause: err });
    }
    s.stream = stream;
    s.rows = 0;
    return stream;
  }

  /** Leaves the stream (finalized before the next write) and checks batches below `checkBelow`. */
  private abandon(s: PartitionState, checkBelow: bigint): void {
    if (s.stream) {
      s.abandoned = s.stream.name;
      s.stream = undefined;
    }
    checkBelowOffset(s, checkBelow);
  }

  /**
   * Appends a chunk at the stream's next offsets: as one append, or, when the server refuses it for
   * its size, as smaller ones. Rows BigQuery refuses go to `refusedNow`.
   */
  private async append(s: PartitionState, chunk: Append, batch: SinkBatch, refusedNow: Map<string, RefusedRow>) {
    const queue = [chunk];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const tooLarge = await this.appendOnce(s, next, batch, refusedNow);
      if (tooLarge !== undefined) {
        this.log?.warn(
          { partition: batch.partition, rows: next.rows.length, err: tooLarge },
          'BigQuery refused an append as too large; sending it in smaller parts',
        );
        queue.unshift(...smallerAppends(this.table, next, tooLarge));
      }
    }
  }

  /** One append at the stream's next offset; the server's message when it refused it for its size. */
  private async appendOnce(
    s: PartitionState,
    chunk: Append,
    batch: SinkBatch,
    refusedNow: Map<string, RefusedRow>,
  ): Promise<string | undefined> {
    let { rows, json } = chunk;
    const past = BigInt(batch.lastOffset) + 1n;
    while (rows.length > 0) {
      const stream = s.stream ?? (await this.openStream(s));
      let outcome;
      try {
        outcome = await stream.append(json, s.rows);
      } catch (err) {
        // No answer: the rows may be in the table. Fence the stream and check before writing again.
        this.abandon(s, past);
        throw err;
      }
      switch (outcome.kind) {
        case 'appended':
          s.rows += rows.length;
          return undefined;
        case 'too-large':
          // Refused before any of it was read: nothing was written, the stream goes on.
          return outcome.message;
        case 'refused': {
          // Nothing of the append was written: record the refused rows and send the others again.
          const bad = new Set(outcome.rows.map((r) => r.index));
          for (const r of outcome.rows) {
            const row = rows[r.index];
            if (row) refusedNow.set(this.identityOf(row), { row, reason: 'invalid', message: r.message });
          }
          if (bad.size === 0) throw new Error(`BigQuery refused an append to ${this.table.name} without naming a row`);
          rows = rows.filter((_, i) => !bad.has(i));
          json = json.filter((_, i) => !bad.has(i));
          continue;
        }
        case 'exists':
          // This process never appends twice at one offset: someone else wrote to the stream.
          this.abandon(s, past);
          throw new RetryableError(`write stream ${stream.name} already holds offset ${s.rows}`);
        case 'gone':
          // Finalized by the partition's next owner, or unknown to a restarted service: nothing of
          // this append was written, but earlier unanswered appends may have been.
          this.abandon(s, past);
          s.abandoned = undefined;
          throw new RetryableError(`write stream ${stream.name} takes no more rows: ${outcome.message}`);
      }
    }
    return undefined;
  }
}
