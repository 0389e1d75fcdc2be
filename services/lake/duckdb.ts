// The lake as DuckDB sees it: a view per table over its Parquet files (an empty typed table
// while it has none), each table's views on top, then the views over several tables (the metric
// views). A connection reads the generation each table had when it opened (the link resolved
// then), so a query running across a rebuild's switch reads the old generation's files, which stay
// for a while after it; open a new connection to read the new one.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDeclaration, TableDefinition } from '../../schemas/table.js';
import { catalogue, viewSql, viewsOf } from '../../tables/catalogue.js';

const duckType = (c: ColumnDeclaration): string => {
  const base = { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'TIMESTAMP', BOOL: 'BOOLEAN' }[c.type];
  return c.mode === 'REPEATED' ? `${base}[]` : base;
};
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A column as the base view reads it: NULL (or its absentAs value) in files written before it existed. */
function columnOrAbsent(c: ColumnDeclaration, present: boolean): string {
  const absent = c.absentAs === undefined ? `CAST(NULL AS ${duckType(c)})` : quote(c.absentAs);
  if (!present) return `${absent} AS ${c.name}`;
  return c.absentAs === undefined ? c.name : `COALESCE(${c.name}, ${absent}) AS ${c.name}`;
}

function hasFiles(tableDir: string): boolean {
  if (!existsSync(tableDir)) return false;
  return readdirSync(tableDir).some(
    (d) =>
      d.startsWith('dt=') && readdirSync(join(tableDir, d)).some((f) => f.endsWith('.parquet') && !f.startsWith('.')),
  );
}

/**
 * Opens an in-memory DuckDB with the lake's tables and their views (the catalogue's by default),
 * and the cross-table views all of whose tables are among them. Only visible files are read.
 */
export async function openLake(
  lakeDir: string,
  tables: readonly TableDefinition[] = catalogue,
): Promise<DuckDBConnection> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const table of tables) {
    const link = join(lakeDir, table.name);
    const dir = existsSync(link) ? realpathSync(link) : link;
    if (hasFiles(dir)) {
      // Hidden files (in progress) start with '.', so this glob never matches them.
      const files = `read_parquet(${quote(join(dir, 'dt=*', '*.parquet'))}, hive_partitioning = false, union_by_name = true)`;
      // A column declared after the files were written reads as NULL in them; until one file has
      // it, it is not in the files at all.
      const present = new Set(
        (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${files}`)).getRowObjectsJS().map((r) => r.column_name),
      );
      const select = table.columns.map((c) => columnOrAbsent(c, present.has(c.name)));
      await connection.run(`CREATE VIEW ${table.name} AS SELECT ${select.join(', ')} FROM ${files}`);
    } else {
      await connection.run(
        `CREATE TABLE ${table.name} (${table.columns.map((c) => `${c.name} ${duckType(c)}`).join(', ')})`,
      );
    }
  }
  await defineBigQueryFunctions(connection);
  for (const view of viewsOf(tables)) {
    await connection.run(`CREATE VIEW ${view.name} AS ${viewSql(view, (name) => name)}`);
  }
  return connection;
}

/**
 * The BigQuery functions the shared view SQL calls that DuckDB lacks, as macros, so one text runs in
 * both (the emulator's translator turns them into DuckDB's own). UNIX_MICROS: no expression for
 * the time between two timestamps reads the same in both engines (BigQuery's TIMESTAMP_DIFF and
 * UNIX_* are not DuckDB's, DuckDB's DATE_DIFF and EXTRACT(EPOCH …) not BigQuery's).
 */
async function defineBigQueryFunctions(connection: DuckDBConnection): Promise<void> {
  // The lake's TIMESTAMP columns hold UTC without a zone, which epoch_us reads as UTC.
  await connection.run('CREATE MACRO unix_micros(ts) AS epoch_us(ts)');
}
