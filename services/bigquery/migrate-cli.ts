// `npm run migrate`: creates or updates the BigQuery dataset, tables and views (see migrate.ts).
import { loadConfig } from '../shared/config.js';
import { createBigQuery } from '../shared/bigquery.js';
import { runService } from '../shared/lifecycle.js';
import { migrate } from './migrate.js';

runService('migrate', async () => {
  const config = loadConfig();
  const bq = createBigQuery(config);
  if (!bq) {
    process.stderr.write(
      'BIGQUERY_PROJECT is not set: nothing to migrate. Set it (and BIGQUERY_API_ENDPOINT for an emulator).\n',
    );
    process.exit(2);
  }
  const report = await migrate(bq, { dataset: config.BIGQUERY_DATASET, location: config.BIGQUERY_LOCATION });
  for (const [what, items] of Object.entries(report)) {
    for (const item of items as string[]) process.stdout.write(`${what.padEnd(10)} ${item}\n`);
  }
});
