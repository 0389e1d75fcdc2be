// For view tests without any service: tables' rows written as lake files with the project's own
// Parquet writer, then opened the way `npm run query` opens the lake (a DuckDB view per table,
// each table's views on top), so a view is tested on what the lake really holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Row } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import { openLake } from '../../services/lake/duckdb.js';
import { writeParquetFile } from '../../services/lake/parquet/writer.js';
import { catalogue, requestActivity, requestAssignments, requestCsat, requestEvents } from '../../tables/catalogue.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { metricDeliveries } from '../fixtures/metrics.js';
import { flattened } from './flatten.js';

export interface ViewLake {
  /** The lake's folder (LAKE_DIR). */
  dir: string;
  connection: DuckDBConnection;
  /** Rows of a query as JSON values (TIMESTAMP as ISO-like text, BIGINT as numbers). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

/**
 * A lake holding `rows` for each table (one file each), opened as `npm run query` opens it: every
 * table of the catalogue (those without rows empty) and every view, plus any table given that the
 * catalogue does not hold.
 */
export async function lakeWithRows(tables: { table: TableDefinition; rows: Row[] }[]): Promise<ViewLake> {
  const dir = mkdtempSync(join(tmpdir(), 'views-'));
  for (const { table, rows } of tables) {
    await writeParquetFile(table, rows, join(dir, table.name, 'dt=2025-03-01', 'p0-o00000000000000000000.parquet'));
  }
  let connection: DuckDBConnection;
  try {
    const extra = tables.map((t) => t.table).filter((t) => !catalogue.some((c) => c.name === t.name));
    connection = await openLake(dir, [...catalogue, ...extra]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    connection,
    query: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    close: () => {
      connection.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The rows the four request tables' flatteners make of test/fixtures/metrics.ts's deliveries, in the
 * order the ingress received them: the metric views' known-answer lake.
 */
export function metricLakeRows(): { table: TableDefinition; rows: Row[] }[] {
  const messages = metricDeliveries().map((d, offset) =>
    envelopeMessage(d.body, offset, new Date(d.receivedAt), d.workspace),
  );
  return [requestEvents, requestActivity, requestAssignments, requestCsat].map((table) => ({
    table,
    rows: messages.flatMap((m) => flattened(table.consumer.flatten(m)).rows),
  }));
}

/** A value as text both engines' clients agree on: times as ISO with µs, numbers as numbers. */
function normal(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'value' in value) return normal((value as { value: unknown }).value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number(value.toPrecision(12));
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value)) return Number(value);
    if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(value))
      return new Date(`${value.replace(' ', 'T')}Z`.replace('ZZ', 'Z')).toISOString();
    return value;
  }
  return value;
}

/** Rows of either engine's client with each value made comparable (see normal). */
export const normalRows = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normal(v)])));
