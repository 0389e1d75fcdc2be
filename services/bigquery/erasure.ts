// Erasing one request's (or ticket's) rows from BigQuery: a DELETE on the current generation of
// every table holding the subject's column. BigQuery refuses to DELETE rows still in a table's
// streaming buffer (rows streamed in the last ~30 minutes); the error says so, and a later run
// removes them.
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableDefinition } from '../../schemas/table.js';
import { currentGeneration, generationTable } from './generations.js';

export interface BigQueryErasure {
  dataset: string;
  tables: readonly TableDefinition[];
  column: string;
  value: string;
  workspace: string;
  dryRun?: boolean;
}

export async function eraseFromBigQuery(bq: BigQuery, o: BigQueryErasure): Promise<{ table: string; rows: number }[]> {
  const dataset = bq.dataset(o.dataset);
  const out: { table: string; rows: number }[] = [];
  for (const table of o.tables.filter((t) => t.columns.some((c) => c.name === o.column))) {
    const { generation } = await currentGeneration(dataset, table);
    const name = `\`${bq.projectId}.${o.dataset}.${generationTable(table, generation)}\``;
    // Rows from before workspaces have none: they belong to 'default'.
    const where = `${o.column} = @value AND COALESCE(workspace, 'default') = @workspace`;
    const params = { value: o.value, workspace: o.workspace };
    const [found] = await bq.query({ query: `SELECT count(*) AS n FROM ${name} WHERE ${where}`, params });
    const rows = Number((found[0] as { n?: number } | undefined)?.n ?? 0);
    if (rows > 0 && !o.dryRun) await bq.query({ query: `DELETE FROM ${name} WHERE ${where}`, params });
    out.push({ table: table.name, rows });
  }
  return out;
}
