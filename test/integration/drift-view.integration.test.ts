// payload_drift in BigQuery (the emulator) gives the answers it gives in DuckDB, every column of
// every row, on the same known-answer rows: tables/drift/views.test.ts checks DuckDB's against hand
// computations, so together the two are known-answer tests in both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftLakeRows } from '../fixtures/drift.js';
import { bothEngines, type BothEngines } from '../support/engines.js';

/** Beyond workspace, source, path and kind: what orders each view's rows fully. */
const orderBy: Record<string, string> = {
  payload_drift: 'first_seen',
  payload_drift_daily: 'day',
  payload_drift_findings: 'event_id',
};

describe('the payload-drift views in BigQuery', () => {
  let engines: BothEngines;
  beforeAll(async () => {
    engines = await bothEngines('drift', driftLakeRows());
  });
  afterAll(() => engines?.close());

  it.each([
    ['payload_drift', 8],
    ['payload_drift_daily', 8],
    ['payload_drift_findings', 12],
  ])('%s answers as in DuckDB, every column of every row', async (view, rows) => {
    const sql = (from: string) => `SELECT * FROM ${from} ORDER BY workspace, source, path, kind, ${orderBy[view]}`;
    const { duckdb, bigquery } = await engines.query(view, sql);
    expect(duckdb).toHaveLength(rows);
    expect(bigquery).toEqual(duckdb);
  });
});
