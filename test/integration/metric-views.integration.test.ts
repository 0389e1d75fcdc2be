// The metric views in BigQuery (the emulator) give the answers they give in DuckDB, every column of
// every row, on the same known-answer rows: tables/metrics/views.test.ts checks DuckDB's answers
// against hand computations, so together the two are known-answer tests in both engines.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { migrate, toBigQueryRow } from '../../services/bigquery/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { metricViews } from '../../tables/metrics/views.js';
import { lakeWithRows, metricLakeRows, normalRows, type ViewLake } from '../support/views.js';
import { testDataset } from '../support/drop-datasets.js';

/** Key columns to order each view by, so both engines list rows alike (NULLs placed explicitly). */
const orderBy: Record<string, string> = {
  request_metrics: 'workspace, request_id',
  team_daily: 'workspace, team_id NULLS LAST, day',
  assignee_daily: 'workspace, assignee_id NULLS LAST, day',
};

describe('metric views in BigQuery', () => {
  let bq: BigQuery;
  let project: string;
  const dataset = testDataset('metrics');
  let lake: ViewLake;
  const tables = metricLakeRows();

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

  it.each(metricViews.views.map((v) => v.name))('%s answers as in DuckDB, every column of every row', async (view) => {
    const sql = (from: string) => `SELECT * FROM ${from} ORDER BY ${orderBy[view]}`;
    const inDuckDb = normalRows(await lake.query(sql(view)));
    const [inBigQuery] = await bq.query(sql(`\`${project}.${dataset}.${view}\``));
    expect(inDuckDb.length).toBeGreaterThan(3);
    expect(normalRows(inBigQuery as Record<string, unknown>[])).toEqual(inDuckDb);
  });
});
