// The BigQuery sink: streaming inserts (insertAll) of raw rows, each with a deterministic insertId
// built from the row's fact key (the client's default is a random id per call, which would defeat
// BigQuery's best-effort deduplication of retries). Requests stay within the API's limits. A row
// BigQuery rejects on its own is returned as refused, with BigQuery's reason, for the runtime to
// dead-letter, and the others are written; failures that may pass are thrown as retryable.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Row } from '../../schemas/flattener.js';
import type { RefusedRow, Sink, SinkBatch } from '../../schemas/sink.js';
import type { TableDeclaration } from '../../schemas/table.js';
import { RetryableError, isRetryable } from '../shared/retry.js';

/** BigQuery recommends at most 500 rows per insertAll request; the hard limit is 10 MB. */
export const insertLimits = { rows: 500, bytes: 9 * 1024 * 1024 };

export interface BigQuerySinkOptions {
  bq: BigQuery;
  dataset: string;
  table: TableDeclaration;
}

/** Microseconds since the epoch as the RFC 3339 text insertAll accepts, microseconds kept. */
export function timestampText(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString(); // ....sssZ
  const sub = ((micros % 1000n) + 1000n) % 1000n;
  return `${iso.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

/** A row as insertAll takes it: timestamps as text, absent lists as [] (BigQuery has no NULL array). */
export function toBigQueryRow(table: TableDeclaration, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of table.columns) {
    const v = row[c.name];
    if (c.mode === 'REPEATED') out[c.name] = v ?? [];
    else if (c.type === 'TIMESTAMP') out[c.name] = typeof v === 'bigint' ? timestampText(v) : null;
    else out[c.name] = v ?? null;
  }
  return out;
}

export function insertIdFor(table: TableDeclaration, row: Row): string {
  const parts = table.factKey.map((k) => String(row[k] ?? ''));
  if (parts.length === 1 && /^[0-9a-f]{32}$/.test(parts[0]!)) return parts[0]!;
  return createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 32);
}

interface InsertRow {
  insertId: string;
  json: Record<string, unknown>;
}

function chunks(rows: InsertRow[]): InsertRow[][] {
  const out: InsertRow[][] = [];
  let current: InsertRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row.json)) + row.insertId.length + 32;
    if (current.length > 0 && (current.length >= insertLimits.rows || bytes + size > insertLimits.bytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

interface PartialFailure {
  name: string;
  errors: { row: InsertRow; errors: { reason?: string; message?: string }[] }[];
}

/** Sends one chunk; records the rows BigQuery refused in `refused`, throws when others may pass on a retry. */
async function insertChunk(
  table: ReturnType<ReturnType<BigQuery['dataset']>['table']>,
  chunk: InsertRow[],
  byInsertId: Map<string, Row>,
  refused: Map<string, RefusedRow>,
): Promise<void> {
  try {
    await table.insert(chunk, { raw: true, skipInvalidRows: true });
  } catch (err) {
    if ((err as PartialFailure).name !== 'PartialFailureError') {
      if (isRetryable(err))
        throw new RetryableError(`BigQuery insert failed: ${(err as Error).message}`, { cause: err });
      throw err;
    }
    const failures = (err as PartialFailure).errors;
    const invalid = failures.filter((f) => f.errors.some((e) => e.reason === 'invalid'));
    for (const f of invalid) {
      refused.set(f.row.insertId, {
        row: byInsertId.get(f.row.insertId) ?? f.row.json,
        reason: f.errors.map((e) => e.reason ?? 'unknown').join(','),
        message: f.errors.map((e) => e.message ?? '').join('; '),
      });
    }
    // With skipInvalidRows, rows not reported were written; those that failed for another reason
    // (backendError, timeout) are worth another try, with the whole batch's insertIds.
    const transient = failures.length - invalid.length;
    if (transient > 0) {
      const reason = failures.find((f) => !invalid.includes(f))!.errors[0]?.reason;
      throw new RetryableError(`BigQuery did not take ${transient} rows: ${reason}`);
    }
  }
}

export function bigQuerySink(opts: BigQuerySinkOptions): Sink {
  const table = opts.bq.dataset(opts.dataset).table(opts.table.name);
  // Rows BigQuery refused, by insertId: a retried batch does not send them again, and reports them
  // (once the whole batch is written) for the runtime to dead-letter.
  const refused = new LRUCache<string, RefusedRow>({ max: 10_000 });

  return {
    name: 'bigquery',
    // insertAll takes 500 rows a request: a batch of 5,000 is ten requests.
    maxBatchRows: 5_000,
    async prepare() {
      // Nothing to remove: rows written but not committed come again with the same insertIds,
      // and the views keep one row per fact.
    },
    async writeBatch(batch) {
      const byInsertId = new Map<string, Row>();
      const refusedNow = new Map<string, RefusedRow>();
      const rows = batch.rows.flatMap((row) => {
        const insertId = insertIdFor(opts.table, row);
        const known = refused.get(insertId);
        if (known) {
          refusedNow.set(insertId, known);
          return [];
        }
        byInsertId.set(insertId, row);
        return [{ insertId, json: toBigQueryRow(opts.table, row) }];
      });
      try {
        for (const chunk of chunks(rows)) await insertChunk(table, chunk, byInsertId, refusedNow);
      } finally {
        for (const [id, r] of refusedNow) refused.set(id, r);
      }
      return { refused: [...refusedNow.values()] };
    },
    async discard(_batch: SinkBatch) {
      // Streaming inserts cannot be withdrawn; a repeat is absorbed by insertId and the views.
    },
    async close() {},
  };
}
