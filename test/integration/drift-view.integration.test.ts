// payload_drift in BigQuery (the emulator) gives the answers it gives in DuckDB, every column of
// every row, on the same known-answer rows: tables/drift/views.test.ts checks DuckDB's against hand
// computations, so together the two are known-answer tests in both engines.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { migrate, toBigQueryRow } from '../../services/bigquery/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { driftLakeRows } from '../fixtures/drift.js';
import { lakeWithRows, normalRows, type ViewLake } from '../support/views.js';
import { testDataset } from '../support/drop-datasets.js';

/** Beyond workspace, source, path and kind: what orders each view's rows fully. */
const orderBy: Record<string, string> = {
  payload_drift: 'first_seen',
  payload_drift_daily: 'day',
  payload_drift_findings: 'event_id',
};

describe('the payload-drift views in BigQuery', () => {
  let bq: BigQuery;
  let project: string;
  const dataset = testDataset('drift');
  let lake: ViewLake;
  const tables = driftLakeRows();

  beforeAll(async () => {
    project = inject('bigqueryProject');
    bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
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
    lake = await lakeWithRows(tables);
  });
  afterAll(() => lake?.close());

  it.each([
    ['payload_drift', 8],
    ['payload_drift_daily', 8],
    ['payload_drift_findings', 12],
  ])('%s answers as in DuckDB, every column of every row', async (view, rows) => {
    const sql = (from: string) => `SELECT * FROM ${from} ORDER BY workspace, source, path, kind, ${orderBy[view]}`;
    const inDuckDb = normalRows(await lake.query(sql(view)));
    const [inBigQuery] = await bq.query(sql(`\`${project}.${dataset}.${view}\``));
    expect(inDuckDb).toHaveLength(rows);
    expect(normalRows(inBigQuery as Record<string, unknown>[])).toEqual(inDuckDb);
  });
});
