// A table's generations in BigQuery. Generation 1 is the table named as the table; a rebuild
// writes generation N into <table>__g<N> and switches by replacing the table's views (CREATE OR
// REPLACE VIEW is atomic). Once generation 1 is removed, <table> becomes a view of the current
// generation, so the name keeps answering. Each generation's table carries the table version it
// was built with in the label thena_version.
import type { BigQuery, Dataset } from '@google-cloud/bigquery';
import type { Logger } from '../shared/logger.js';
import type { Generation, GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { crossViewsOf, tableViewsOf, viewSql } from '../../tables/catalogue.js';
import { emptyReport, ensureTable, ensureView, isNotFound, type MigrationReport } from './objects.js';
import { bigQuerySink } from './sink.js';
import type { WriteClient } from './write-api.js';

export const generationTable = (table: { name: string }, generation: number) =>
  generation === 1 ? table.name : `${table.name}__g${generation}`;
const versionLabel = 'thena_version';

async function metadataOf(dataset: Dataset, name: string) {
  return dataset
    .table(name)
    .getMetadata()
    .then(
      ([m]) => m as { type?: string; labels?: Record<string, string>; view?: { query?: string } },
      (err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      },
    );
}

/** The current generation of a table: the one its fact view reads (1 before any view exists). */
export async function currentGeneration(dataset: Dataset, table: TableDefinition): Promise<Generation> {
  const view = await metadataOf(dataset, table.factView);
  const named = new RegExp(`\\.${table.name}__g(\\d+)\``).exec(view?.view?.query ?? '');
  const generation = named ? Number(named[1]) : 1;
  const found = await metadataOf(dataset, generationTable(table, generation));
  // Not created yet: migrate creates generation 1 with the declared version. Unlabelled: written
  // before versions existed, so version 1.
  if (!found) return { generation, version: table.version };
  return { generation, version: Number(found.labels?.[versionLabel] ?? 1) };
}

/**
 * How views read a table's generation: columns with an `absentAs` value (workspace) read as it in
 * rows written before the column existed, which BigQuery's additive migration leaves NULL.
 */
function baseReference(table: TableDefinition, base: string): string {
  const absent = table.columns.filter((c) => c.absentAs !== undefined);
  if (absent.length === 0) return base;
  const replace = absent.map((c) => `COALESCE(${c.name}, '${c.absentAs!.replaceAll("'", "\\'")}') AS ${c.name}`);
  return `(SELECT * REPLACE (${replace.join(', ')}) FROM ${base})`;
}

/** The views of a table (and, once generation 1 is gone, the view named as the table) over `generation`. */
export async function ensureViewsOver(
  bq: BigQuery,
  dataset: Dataset,
  table: TableDefinition,
  generation: number,
  report: MigrationReport,
): Promise<void> {
  const project = await bq.getProjectId();
  const base = `\`${project}.${dataset.id}.${generationTable(table, generation)}\``;
  const ref = (name: string) =>
    name === table.name ? baseReference(table, base) : `\`${project}.${dataset.id}.${name}\``;
  for (const view of tableViewsOf([table])) {
    await ensureView(bq, dataset, view.name, viewSql(view, ref).trim(), report);
  }
  if (generation > 1 && (await metadataOf(dataset, table.name))?.type === 'VIEW') {
    await ensureView(bq, dataset, table.name, `SELECT * FROM ${ref(table.name)}`, report);
  }
}

/**
 * The views over several tables (tables/metrics/) that `tables` can serve, once every table's own
 * views exist. They read those views by name, never a generation, so a rebuild's switch does not
 * touch them.
 */
export async function ensureCrossTableViews(
  bq: BigQuery,
  dataset: Dataset,
  tables: readonly TableDefinition[],
  report: MigrationReport,
): Promise<void> {
  const project = await bq.getProjectId();
  for (const view of crossViewsOf(tables)) {
    const sql = viewSql(view, (name) => `\`${project}.${dataset.id}.${name}\``);
    await ensureView(bq, dataset, view.name, sql.trim(), report);
  }
}

/** How a store's writers append: the Storage Write API client and the batch deadline. */
export interface BigQueryWriting {
  client: WriteClient;
  maxBatchAgeMs?: number;
  /** BIGQUERY_APPEND_MAX_BYTES. */
  appendMaxBytes?: number;
  logger?: Logger;
}

/** The store of a dataset's generations; `writing` is needed only to write them. */
export function bigQueryGenerations(bq: BigQuery, datasetName: string, writing?: BigQueryWriting): GenerationStore {
  const dataset = bq.dataset(datasetName);
  return {
    sink: 'bigquery',
    current: (t) => currentGeneration(dataset, t),
    async prepare(t, next) {
      const labels = { [versionLabel]: String(next.version) };
      await ensureTable(dataset, { ...t, name: generationTable(t, next.generation) }, emptyReport(), { labels });
    },
    async writer(t, generation) {
      if (!writing) throw new Error('this BigQuery generation store was opened without a Storage Write API client');
      return bigQuerySink({
        bq,
        writeClient: writing.client,
        maxBatchAgeMs: writing.maxBatchAgeMs,
        appendMaxBytes: writing.appendMaxBytes,
        logger: writing.logger,
        dataset: datasetName,
        table: { ...t, name: generationTable(t, generation) },
      });
    },
    async switchTo(t, next) {
      await ensureViewsOver(bq, dataset, t, next.generation, emptyReport());
    },
    async remove(t, generation) {
      const current = await currentGeneration(dataset, t);
      if (current.generation === generation) throw new Error(`generation ${generation} of ${t.name} is current`);
      const name = generationTable(t, generation);
      const found = await metadataOf(dataset, name);
      if (found?.type === 'TABLE') await dataset.table(name).delete();
      // The table's own name goes on answering, as a view of the current generation.
      if (generation === 1 && found?.type !== 'VIEW') {
        const project = await bq.getProjectId();
        const sql = `SELECT * FROM \`${project}.${datasetName}.${generationTable(t, current.generation)}\``;
        await ensureView(bq, dataset, name, sql, emptyReport());
      }
    },
  };
}
