// Brings the BigQuery dataset to the declared state: the dataset, each table's current generation
// (with the declared columns added), each table's views over it, then the views over several
// tables. It also reports tables whose current generation was built with an older table version
// than the declaration: a rebuild (npm run rebuild) brings them level. See objects.ts for what
// each step does and refuses.
import { createHash } from 'node:crypto';
import type { BigQuery, Dataset } from '@google-cloud/bigquery';
import type { TableDefinition } from '../../schemas/table.js';
import { catalogue, viewsOf, viewSql } from '../../tables/catalogue.js';
import { currentGeneration, ensureCrossTableViews, ensureViewsOver, generationTable } from './generations.js';
import { emptyReport, ensureDataset, ensureTable, isNotFound, type MigrationReport } from './objects.js';

export { MigrationError, type MigrationReport } from './objects.js';

export interface MigrateOptions {
  dataset: string;
  location: string;
  /** The tables and their views; the catalogue's by default. */
  tables?: readonly TableDefinition[];
  /** Days after which BigQuery drops a day partition (BIGQUERY_PARTITION_EXPIRATION_DAYS); unset leaves it. */
  partitionExpirationDays?: number;
}

/** The dataset label holding the digest of the declared state a migration last brought it to. */
const stateLabel = 'thena_schema';

/**
 * A digest of the state migrate() brings a dataset to: every table's declaration (columns,
 * version, partitioning, clustering), every view's SQL, the location and the partition expiration.
 */
export function declaredDigest(opts: MigrateOptions): string {
  const tables = opts.tables ?? catalogue;
  const state = {
    location: opts.location,
    partitionExpirationDays: opts.partitionExpirationDays ?? null,
    tables,
    views: viewsOf(tables).map((v) => [v.name, viewSql(v, (name) => name)]),
  };
  // Label values are at most 63 lowercase characters: 32 hex digits of SHA-256 are plenty.
  return createHash('sha256').update(JSON.stringify(state)).digest('hex').slice(0, 32);
}

/**
 * What a service runs at start: migrate(), unless the dataset's label says a migration already
 * brought it to this very declaration. Then the start costs one call instead of two or three per
 * table and view, which matters when many services start at once (a rollout, a crash loop, a
 * scale-out): BigQuery's metadata calls have quotas, and the emulator answers a few a second under
 * load. `npm run migrate` and rebuilds always walk everything (objects changed by hand are found
 * there, not here).
 */
export async function migrateOnStart(bq: BigQuery, opts: MigrateOptions): Promise<MigrationReport | 'current'> {
  const [metadata] = await bq
    .dataset(opts.dataset)
    .getMetadata()
    .catch((err: unknown) => {
      if (isNotFound(err)) return [undefined];
      throw err;
    });
  const labels = (metadata as { labels?: Record<string, string> } | undefined)?.labels;
  if (labels?.[stateLabel] === declaredDigest(opts)) return 'current';
  return migrate(bq, opts);
}

/**
 * Brings the dataset to the declared state; a second run reports everything unchanged. Tables are
 * independent of each other, so each table (then each table's views) is brought up concurrently;
 * the report lists them in the catalogue's order all the same.
 */
export async function migrate(bq: BigQuery, opts: MigrateOptions): Promise<MigrationReport> {
  const report = emptyReport();
  const dataset = await ensureDataset(bq, opts.dataset, opts.location, report);
  const tables = opts.tables ?? catalogue;
  const generations = await inOrder(report, tables, async (table, own) => {
    const current = await currentGeneration(dataset, table);
    // A table created now is generation 1 of the declared version.
    const labels = { thena_version: String(table.version) };
    await ensureTable(dataset, { ...table, name: generationTable(table, current.generation) }, own, {
      labels,
      partitionExpirationDays: opts.partitionExpirationDays,
    });
    if (current.version < table.version) {
      own.behind.push(
        `table ${table.name}: generation ${current.generation} was built with version ${current.version}, declared ${table.version}; run npm run rebuild -- --table ${table.name} --sink bigquery`,
      );
    }
    return current.generation;
  });
  // A table's views in their declared order (one may read another); tables side by side.
  await inOrder(report, tables, (table, own, i) => ensureViewsOver(bq, dataset, table, generations[i]!, own));
  // The metric views read several tables' views: created once all of those exist.
  await ensureCrossTableViews(bq, dataset, tables, report);
  // A table behind its declaration keeps every start migrating (and saying so) until it is rebuilt.
  if (report.behind.length === 0) await labelState(dataset, declaredDigest(opts));
  return report;
}

/** Runs `step` for every table at once, each with a report of its own, appended to `report` in order. */
async function inOrder<T>(
  report: MigrationReport,
  tables: readonly TableDefinition[],
  step: (table: TableDefinition, own: MigrationReport, index: number) => Promise<T>,
): Promise<T[]> {
  const own = tables.map(() => emptyReport());
  const results = await Promise.all(tables.map((t, i) => step(t, own[i]!, i)));
  for (const r of own) for (const key of Object.keys(report) as (keyof MigrationReport)[]) report[key].push(...r[key]);
  return results;
}

async function labelState(dataset: Dataset, digest: string): Promise<void> {
  const [metadata] = await dataset.getMetadata();
  const labels = (metadata as { labels?: Record<string, string> }).labels ?? {};
  if (labels[stateLabel] === digest) return;
  await dataset.setMetadata({ labels: { ...labels, [stateLabel]: digest } });
}
