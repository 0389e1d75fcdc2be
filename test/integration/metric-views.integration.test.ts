// The metric views in BigQuery (the emulator) give the answers they give in DuckDB, every column of
// every row, on the same known-answer rows: tables/metrics/views.test.ts checks DuckDB's answers
// against hand computations, so together the two are known-answer tests in both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricViews } from '../../tables/metrics/views.js';
import { metricLakeRows } from '../support/views.js';
import { bothEngines, type BothEngines } from '../support/engines.js';

/** Key columns to order each view by, so both engines list rows alike (NULLs placed explicitly). */
const orderBy: Record<string, string> = {
  request_metrics: 'workspace, request_id',
  team_daily: 'workspace, team_id NULLS LAST, day',
  assignee_daily: 'workspace, assignee_id NULLS LAST, day',
};

describe('metric views in BigQuery', () => {
  let engines: BothEngines;
  beforeAll(async () => {
    engines = await bothEngines('metrics', metricLakeRows());
  });
  afterAll(() => engines?.close());

  it.each(metricViews.views.map((v) => v.name))('%s answers as in DuckDB, every column of every row', async (view) => {
    const { duckdb, bigquery } = await engines.query(view, (from) => `SELECT * FROM ${from} ORDER BY ${orderBy[view]}`);
    expect(duckdb.length).toBeGreaterThan(3);
    expect(bigquery).toEqual(duckdb);
  });
});
