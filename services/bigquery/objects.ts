// The BigQuery objects the pipeline keeps, each brought to its declared state idempotently:
// - a missing dataset or table is created (a table partitioned by day on its partition column,
//   clustered, described, labelled with the table version its generation was built with);
// - a declared column missing from a live table is added (NULLABLE, or REPEATED), data untouched;
// - a column whose live type or mode differs from the declaration is refused with the reason
//   (BigQuery cannot change it in place; a new column name is the way);
// - live columns no longer declared are left alone (never dropped);
// - a view is created, or replaced when its SQL changed: its label `thena_sql` holds a digest of
//   the SQL it was created with, since the stored text may be rewritten (the emulator stores
//   `x IS NOT NULL` as `NOT x IS NULL`); views from before the label compare by text.
import { createHash } from 'node:crypto';
import type { BigQuery, Dataset, TableMetadata } from '@google-cloud/bigquery';
import type { TableDeclaration } from '../../schemas/table.js';
import { bigQueryField, bigQuerySchema, sameType, type BigQueryField } from './schema.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationReport {
  created: string[];
  altered: string[];
  unchanged: string[];
  /** Tables whose current generation was built with an older version than declared. */
  behind: string[];
}

export const emptyReport = (): MigrationReport => ({ created: [], altered: [], unchanged: [], behind: [] });

/** SQL compared without comments and whitespace: BigQuery (or an emulator) may store it reformatted. */
export const normalizeSql = (sql: string) =>
  sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\(\s/g, '(')
    .replace(/\s\)/g, ')')
    .trim();

export const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;
// Several services may migrate at once; whoever creates a table first wins, the others go on.
const isConflict = (err: unknown) => (err as { code?: number }).code === 409;

export async function ensureDataset(
  bq: BigQuery,
  name: string,
  location: string,
  report: MigrationReport,
): Promise<Dataset> {
  const dataset = bq.dataset(name);
  const [exists] = await dataset.exists();
  if (!exists) {
    try {
      await bq.createDataset(name, { location });
      report.created.push(`dataset ${name}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  return dataset;
}

/** What must change in a live table to match its declaration; throws on what cannot. */
function planColumns(table: TableDeclaration, live: BigQueryField[]): BigQueryField[] {
  const liveByName = new Map(live.map((f) => [f.name, f]));
  const additions: BigQueryField[] = [];
  for (const column of table.columns) {
    const current = liveByName.get(column.name);
    if (!current) {
      // BigQuery adds columns only as NULLABLE or REPEATED.
      additions.push({ ...bigQueryField(column), mode: column.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' });
      continue;
    }
    const mode = current.mode ?? 'NULLABLE';
    const relaxed = mode === 'NULLABLE' && column.mode === 'REQUIRED'; // added later as NULLABLE: fine
    if (!sameType(current.type, column.type) || (mode !== column.mode && !relaxed)) {
      throw new MigrationError(
        `${table.name}.${column.name} is ${mode} ${current.type} in BigQuery but declared ${column.mode} ${column.type}; ` +
          'BigQuery cannot change a column in place: declare a new column instead, or migrate the table by hand.',
      );
    }
  }
  return additions;
}

export async function ensureTable(
  dataset: Dataset,
  table: TableDeclaration,
  report: MigrationReport,
  opts: { labels?: Record<string, string>; partitionExpirationDays?: number } = {},
): Promise<void> {
  const handle = dataset.table(table.name);
  const labels = opts.labels ?? {};
  const expirationMs =
    opts.partitionExpirationDays === undefined ? undefined : String(opts.partitionExpirationDays * 86_400_000);
  let metadata: TableMetadata;
  try {
    [metadata] = await handle.getMetadata();
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await dataset.createTable(table.name, {
        schema: { fields: bigQuerySchema(table) },
        timePartitioning: { type: 'DAY', field: table.partitionColumn, expirationMs },
        clustering: { fields: [...table.clustering] },
        description: table.description,
        labels,
      });
      report.created.push(`table ${table.name}`);
      return;
    } catch (createErr) {
      if (!isConflict(createErr)) throw createErr;
      [metadata] = await handle.getMetadata();
    }
  }
  const partitionedOn = metadata.timePartitioning?.field;
  if (partitionedOn !== table.partitionColumn) {
    throw new MigrationError(
      `${table.name} is partitioned on ${partitionedOn ?? 'nothing'} in BigQuery but declared on ${table.partitionColumn}; ` +
        'partitioning cannot change in place: recreate the table (copy its rows first).',
    );
  }
  if (expirationMs !== undefined && String(metadata.timePartitioning?.expirationMs ?? '') !== expirationMs) {
    await handle.setMetadata({ timePartitioning: { ...metadata.timePartitioning, expirationMs } });
    report.altered.push(`table ${table.name}: partitions expire after ${opts.partitionExpirationDays} days`);
  }
  const live = (metadata.schema?.fields ?? []) as BigQueryField[];
  const additions = planColumns(table, live);
  if (additions.length === 0) {
    if (!report.altered.some((a) => a.startsWith(`table ${table.name}:`))) report.unchanged.push(`table ${table.name}`);
    return;
  }
  await handle.setMetadata({ schema: { fields: [...live, ...additions] } });
  report.altered.push(`table ${table.name}: added ${additions.map((f) => f.name).join(', ')}`);
}

/** Creates the view `name` as `sql`, or replaces it when its SQL differs. */
export async function ensureView(
  bq: BigQuery,
  dataset: Dataset,
  name: string,
  sql: string,
  report: MigrationReport,
): Promise<void> {
  const project = await bq.getProjectId();
  const view = dataset.table(name);
  const [exists] = await view.exists();
  const digest = createHash('sha256').update(normalizeSql(sql)).digest('hex').slice(0, 32);
  if (exists) {
    const [metadata] = await view.getMetadata();
    const stored = metadata.labels?.[sqlLabel];
    if (stored === digest || (stored === undefined && normalizeSql(metadata.view?.query ?? '') === normalizeSql(sql))) {
      report.unchanged.push(`view ${name}`);
      return;
    }
  }
  await bq.query({ query: `CREATE OR REPLACE VIEW \`${project}.${dataset.id}.${name}\` AS\n${sql}` });
  await view.setMetadata({ labels: { [sqlLabel]: digest } });
  (exists ? report.altered : report.created).push(`view ${name}`);
}

/** The label of a view that holds a digest of the SQL it was created with. */
const sqlLabel = 'thena_sql';
