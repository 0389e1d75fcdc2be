// Brings the BigQuery dataset to the declared state: the dataset, each table's current generation
// (with the declared columns added), each table's views over it, then the views over several
// tables. It also reports tables whose current generation was built with an older table version
// than the declaration: a rebuild (npm run rebuild) brings them level. See objects.ts for what
// each step does and refuses.
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableDefinition } from '../../schemas/table.js';
import { catalogue } from '../../tables/catalogue.js';
import { currentGeneration, ensureCrossTableViews, ensureViewsOver, generationTable } from './generations.js';
import { emptyReport, ensureDataset, ensureTable, type MigrationReport } from './objects.js';

export { MigrationError, type MigrationReport } from './objects.js';

export interface MigrateOptions {
  dataset: string;
  location: string;
  /** The tables and their views; the catalogue's by default. */
  tables?: readonly TableDefinition[];
  /** Days after which BigQuery drops a day partition (BIGQUERY_PARTITION_EXPIRATION_DAYS); unset leaves it. */
  partitionExpirationDays?: number;
}

/** Brings the dataset to the declared state; a second run reports everything unchanged. */
export async function migrate(bq: BigQuery, opts: MigrateOptions): Promise<MigrationReport> {
  const report = emptyReport();
  const dataset = await ensureDataset(bq, opts.dataset, opts.location, report);
  const tables = opts.tables ?? catalogue;
  const generations = new Map<string, number>();
  for (const table of tables) {
    const current = await currentGeneration(dataset, table);
    generations.set(table.name, current.generation);
    // A table created now is generation 1 of the declared version.
    const labels = { thena_version: String(table.version) };
    await ensureTable(dataset, { ...table, name: generationTable(table, current.generation) }, report, {
      labels,
      partitionExpirationDays: opts.partitionExpirationDays,
    });
    if (current.version < table.version) {
      report.behind.push(
        `table ${table.name}: generation ${current.generation} was built with version ${current.version}, declared ${table.version}; run npm run rebuild -- --table ${table.name} --sink bigquery`,
      );
    }
  }
  for (const table of tables) await ensureViewsOver(bq, dataset, table, generations.get(table.name)!, report);
  // The metric views read several tables' views: created once all of those exist.
  await ensureCrossTableViews(bq, dataset, tables, report);
  return report;
}
