// Known-answer rows in both engines: a dataset of the emulator migrated and filled with them, and a
// lake holding the same rows (test/support/views.ts), so a view's answers can be compared.
import type { BigQuery } from '@google-cloud/bigquery';
import { inject } from 'vitest';
import type { Row } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import { migrate, toBigQueryRow } from '../../services/bigquery/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { testDataset } from './drop-datasets.js';
import { lakeWithRows, normalRows, type ViewLake } from './views.js';

export interface BothEngines {
  lake: ViewLake;
  /** Runs `sql(from)` in both engines, `from` naming the view as each engine reads it; rows made comparable. */
  query(view: string, sql: (from: string) => string): Promise<{ duckdb: unknown[]; bigquery: unknown[] }>;
  close(): void;
}

/** A dataset named for `name` and a lake, both holding `tables`' rows. */
export async function bothEngines(
  name: string,
  tables: { table: TableDefinition; rows: Row[] }[],
): Promise<BothEngines> {
  const project = inject('bigqueryProject');
  const bq: BigQuery = createBigQuery({
    BIGQUERY_PROJECT: project,
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
  })!;
  const dataset = testDataset(name);
  await migrate(bq, { dataset, location: 'US' });
  for (const { table, rows } of tables) {
    await bq
      .dataset(dataset)
      .table(table.name)
      .insert(
        rows.map((row, i) => ({ insertId: `${table.name}-${i}`, json: toBigQueryRow(table, row) })),
        { raw: true },
      );
  }
  const lake = await lakeWithRows(tables);
  return {
    lake,
    async query(view, sql) {
      const duckdb = normalRows(await lake.query(sql(view)));
      const [rows] = await bq.query(sql(`\`${project}.${dataset}.${view}\``));
      return { duckdb, bigquery: normalRows(rows as Record<string, unknown>[]) };
    },
    close: () => lake.close(),
  };
}
