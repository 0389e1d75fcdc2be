// The metric views in BigQuery (the emulator) give the answers they give in DuckDB, every column of
// every row, on the same known-answer rows: tables/metrics/views.test.ts checks DuckDB's answers
// against hand computations, so together the two are known-answer tests in both engines.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { migrate, toBigQueryRow } from '../../services/bigquery/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { metricViews } from '../../tables/metrics/views.js';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../support/views.js';
import { testDataset } from '../support/drop-datasets.js';

/** Key columns to order each view by, so both engines list rows alike (NULLs placed explicitly). */
const orderBy: Record<string, string> = {
  request_metrics: 'workspace, request_id',
  team_daily: 'workspace, team_id NULLS LAST, day',
  assignee_daily: 'workspace, assignee_id NULLS LAST, day',
};

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

const normalRows = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normal(v)])));

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
