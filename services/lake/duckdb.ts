// The lake as DuckDB sees it: a view per table over its Parquet files (an empty typed table
// while it has none), and each table's views on top.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDeclaration, TableDefinition } from '../../schemas/table.js';
import { catalogue, viewSql, viewsOf } from '../../tables/catalogue.js';

const duckType = (c: ColumnDeclaration): string => {
  const base = { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'TIMESTAMP', BOOL: 'BOOLEAN' }[c.type];
  return c.mode === 'REPEATED' ? `${base}[]` : base;
};
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

function hasFiles(tableDir: string): boolean {
  if (!existsSync(tableDir)) return false;
  return readdirSync(tableDir).some(
    (d) =>
      d.startsWith('dt=') && readdirSync(join(tableDir, d)).some((f) => f.endsWith('.parquet') && !f.startsWith('.')),
  );
}

/**
 * Opens an in-memory DuckDB with the lake's tables and their views (the catalogue's by default).
 * Only visible files are read.
 */
export async function openLake(
  lakeDir: string,
  tables: readonly TableDefinition[] = catalogue,
): Promise<DuckDBConnection> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const table of tables) {
    const dir = join(lakeDir, table.name);
    if (hasFiles(dir)) {
      // Hidden files (in progress) start with '.', so this glob never matches them.
      const glob = join(dir, 'dt=*', '*.parquet');
      await connection.run(
        `CREATE VIEW ${table.name} AS SELECT ${table.columns.map((c) => c.name).join(', ')} ` +
          `FROM read_parquet(${quote(glob)}, hive_partitioning = false, union_by_name = true)`,
      );
    } else {
      await connection.run(
        `CREATE TABLE ${table.name} (${table.columns.map((c) => `${c.name} ${duckType(c)}`).join(', ')})`,
      );
    }
  }
  for (const view of viewsOf(tables)) {
    await connection.run(`CREATE VIEW ${view.name} AS ${viewSql(view, (name) => name)}`);
  }
  return connection;
}
