// The BigQuery sink: streaming inserts (insertAll) of raw rows, each with a deterministic insertId
// built from the row's fact key (the client's default is a random id per call, which would defeat
// BigQuery's best-effort deduplication of retries). Requests stay within the API's limits. A row
// BigQuery rejects on its own goes to the dead-letter topic with BigQuery's reason and the others
// are written; failures that may pass are thrown as retryable for the runtime to retry.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableDeclaration } from '../../schemas/tables.js';
import type { Row } from '../consumers/flatten/event.js';
import type { Sink, SinkBatch } from '../consumers/runtime/sink.js';
import { RetryableError, isRetryable } from '../shared/retry.js';

/** BigQuery recommends at most 500 rows per insertAll request; the hard limit is 10 MB. */
export const insertLimits = { rows: 500, bytes: 9 * 1024 * 1024 };

export interface RejectedRow {
  row: Row;
  reason: string;
  message: string;
}

export interface BigQuerySinkOptions {
  bq: BigQuery;
  dataset: string;
  table: TableDeclaration;
  /** Sends rows BigQuery refused to the dead-letter topic; resolves once acknowledged. */
  deadLetter: (rejected: RejectedRow[], batch: SinkBatch) => Promise<void>;
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

export function bigQuerySink(opts: BigQuerySinkOptions): Sink {
  const table = opts.bq.dataset(opts.dataset).table(opts.table.name);
  // Rows already refused and dead-lettered: a retried batch neither sends nor dead-letters them again.
  const refused = new LRUCache<string, true>({ max: 10_000 });

  return {
    name: 'bigquery',
    async prepare() {
      // Nothing to remove: rows written but not committed come again with the same insertIds,
      // and the views keep one row per fact.
    },
    async writeBatch(batch) {
      const byInsertId = new Map<string, Row>();
      const rows = batch.rows.flatMap((row) => {
        const insertId = insertIdFor(opts.table, row);
        if (refused.has(insertId)) return [];
        byInsertId.set(insertId, row);
        return [{ insertId, json: toBigQueryRow(opts.table, row) }];
      });
      for (const chunk of chunks(rows)) {
        try {
          await table.insert(chunk, { raw: true, skipInvalidRows: true });
        } catch (err) {
          if ((err as PartialFailure).name !== 'PartialFailureError') {
            if (isRetryable(err))
              throw new RetryableError(`BigQuery insert failed: ${(err as Error).message}`, { cause: err });
            throw err;
          }
          const failures = (err as PartialFailure).errors;
          const rejected = failures.filter((f) => f.errors.some((e) => e.reason === 'invalid'));
          const transient = failures.filter((f) => !rejected.includes(f));
          if (rejected.length > 0) {
            for (const f of rejected) refused.set(f.row.insertId, true);
            await opts.deadLetter(
              rejected.map((f) => ({
                row: byInsertId.get(f.row.insertId) ?? f.row.json,
                reason: f.errors.map((e) => e.reason ?? 'unknown').join(','),
                message: f.errors.map((e) => e.message ?? '').join('; '),
              })),
              batch,
            );
          }
          // With skipInvalidRows, rows not reported were written; those that failed for another
          // reason (backendError, timeout) are worth another try, with the whole batch's insertIds.
          if (transient.length > 0)
            throw new RetryableError(
              `BigQuery did not take ${transient.length} rows: ${transient[0]!.errors[0]?.reason}`,
            );
        }
      }
    },
    async discard(_batch: SinkBatch) {
      // Streaming inserts cannot be withdrawn; a repeat is absorbed by insertId and the views.
    },
    async close() {},
  };
}
