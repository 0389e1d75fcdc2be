// A setup file of the integration project: after each file, the BigQuery datasets it made
// (named by testDataset) are dropped from the suite's emulator. The emulator answers each call by
// scanning every table, view and column it holds (DuckDB's duckdb_tables() and duckdb_columns()),
// so datasets left behind by earlier files make every later call slower. Measured on the 2-core
// machine: a migration took 5.3 s with one dataset in the emulator, 16.1 s with ten and 25.7 s with
// twenty-one; 4.7 s again once they were dropped.
import { afterAll, inject } from 'vitest';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { uniqueName } from './wait.js';

const made = new Set<string>();

/** A dataset name of this test file's own, dropped once the file is done. */
export function testDataset(prefix: string): string {
  const name = uniqueName(prefix);
  made.add(name);
  return name;
}

afterAll(async () => {
  if (made.size === 0) return;
  const bq = createBigQuery({
    BIGQUERY_PROJECT: inject('bigqueryProject'),
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
  })!;
  // A dataset a failed test never created is not there to drop.
  await Promise.all(
    [...made].map((name) =>
      bq
        .dataset(name)
        .delete({ force: true })
        .catch(() => undefined),
    ),
  );
});
