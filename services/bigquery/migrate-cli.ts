// `npm run migrate`: creates or updates the BigQuery dataset, tables and views (see migrate.ts),
// and reports the tables, in BigQuery and in the lake, whose current generation was built with
// an older table version than declared (npm run rebuild brings them level).
import { catalogue } from '../../tables/catalogue.js';
import { lakeGenerations, lakeStoreFrom } from '../lake/index.js';
import { loadConfig } from '../shared/config.js';
import { createBigQuery } from '../shared/bigquery.js';
import { runService } from '../shared/lifecycle.js';
import { migrate } from './migrate.js';

runService('migrate', async () => {
  const config = loadConfig();
  const lake = lakeGenerations(lakeStoreFrom(config));
  for (const table of catalogue) {
    const current = await lake.current(table);
    if (current.version < table.version) {
      process.stdout.write(
        `behind     lake ${table.name}: generation ${current.generation} was built with version ${current.version}, declared ${table.version}; run npm run rebuild -- --table ${table.name} --sink lake\n`,
      );
    }
  }
  const bq = createBigQuery(config);
  if (!bq) {
    process.stdout.write('BIGQUERY_PROJECT is not set: nothing to migrate in BigQuery.\n');
    return;
  }
  const report = await migrate(bq, {
    dataset: config.BIGQUERY_DATASET,
    location: config.BIGQUERY_LOCATION,
    partitionExpirationDays: config.BIGQUERY_PARTITION_EXPIRATION_DAYS,
  });
  for (const [what, items] of Object.entries(report)) {
    for (const item of items as string[]) process.stdout.write(`${what.padEnd(10)} ${item}\n`);
  }
});
